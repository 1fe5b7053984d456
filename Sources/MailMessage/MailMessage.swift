enum MailMessagePlaceholder {}
