/// Placeholder removed as the library grows.
enum OutboundPlaceholder {}
