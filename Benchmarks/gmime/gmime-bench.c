/*
 * gmime-bench: the GMime 3 reference side of the MIME benchmark (scripts/bench-mime).
 *
 *   gmime-bench [--iterations N] [--warmup W] FILE...
 *   gmime-bench --list FILE...
 *
 * Every file is read into memory once (not timed). One iteration parses every message from
 * memory and extracts every "extracted part" (selection rule below): its decoded filename, its
 * content with the transfer encoding undone, and the SHA-256 of those bytes. Each iteration is
 * timed with CLOCK_MONOTONIC. Output (sekisho bench mime prints the same lines):
 *
 *   engine gmime-3.x.y
 *   files <count> bytes <total input bytes>
 *   work attachments <extracted parts per iteration> decoded_bytes <decoded bytes per iteration>
 *   iteration_ms <ms1> <ms2> ...
 *   median_ms <median> messages_per_s <files*1000/median> mib_per_s <input MiB / median seconds>
 *
 * --list does one untimed pass instead and prints one line per extracted part, in MIME order:
 *   <file basename> TAB <IMAP part path> TAB <filename> TAB <decoded size> TAB <sha256 hex>
 * The filename is GMime's decoded UTF-8; "-" when there is none. Bytes below 0x20, 0x7f and
 * bytes that are not part of valid UTF-8 are written as \xHH, a backslash as \\, and a
 * literal "-" name as \x2d. The path is "1" for a single-part message's body.
 *
 * Walk: depth-first, in document order, through every multipart (signed and encrypted
 * included) and into the encapsulated message of every message/rfc822 part. Part paths use IMAP
 * numbering (RFC 3501 6.4.5), as in the corpus manifest.
 *
 * Selection rule: a leaf GMimePart is extracted when ANY of these holds:
 *   1. its Content-Type is neither text/plain nor text/html (type/subtype, case-insensitive;
 *      a missing Content-Type counts as text/plain), or
 *   2. g_mime_part_get_filename() is not NULL (Content-Disposition filename, else
 *      Content-Type name), or
 *   3. its Content-Disposition type is "attachment" (case-insensitive).
 * A message/rfc822 part (GMimeMessagePart) is not itself extracted: the walk descends into the
 * encapsulated message and applies the same rule to its leaves. Multipart containers are never
 * extracted.
 *
 * Build: cc -O2 -o gmime-bench gmime-bench.c $(pkg-config --cflags --libs gmime-3.0)
 */
#include <gmime/gmime.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *name; /* basename, for --list */
    gchar *data;
    gsize length;
} Input;

typedef struct {
    guint64 messages;
    guint64 parse_failures;
    guint64 attachments;
    guint64 decoded_bytes;
    guint64 decode_errors;
} Work;

typedef struct {
    Work work;
    GChecksum *sha256;
    GString *path;     /* IMAP path of the entity being visited */
    FILE *list;        /* non-NULL in --list mode */
    const char *file;  /* basename of the message being walked */
} Walker;

static void walk_object(Walker *w, GMimeObject *object);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static gboolean is_extracted(GMimePart *part, const char *filename)
{
    GMimeObject *object = GMIME_OBJECT(part);
    GMimeContentType *type = g_mime_object_get_content_type(object);
    gboolean body_type = type == NULL || g_mime_content_type_is_type(type, "text", "plain") ||
                         g_mime_content_type_is_type(type, "text", "html");
    if (!body_type || filename != NULL)
        return TRUE;
    GMimeContentDisposition *disposition = g_mime_object_get_content_disposition(object);
    return disposition != NULL && g_mime_content_disposition_is_attachment(disposition);
}

static void print_escaped(FILE *out, const char *s)
{
    if (s == NULL) {
        fputc('-', out);
        return;
    }
    if (strcmp(s, "-") == 0) {
        fputs("\\x2d", out);
        return;
    }
    const char *end = s + strlen(s);
    for (const char *p = s; p < end;) {
        unsigned char c = (unsigned char) *p;
        if (c == '\\') {
            fputs("\\\\", out);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
            p++;
        } else if (c < 0x80) {
            fputc(c, out);
            p++;
        } else if ((gint32) g_utf8_get_char_validated(p, end - p) < 0) {
            fprintf(out, "\\x%02x", c); /* not UTF-8: GMime passes some undecodable bytes through */
            p++;
        } else {
            const char *next = g_utf8_next_char(p);
            fwrite(p, 1, (size_t) (next - p), out);
            p = next;
        }
    }
}

/* The extraction: decoded filename, decoded content in memory, SHA-256 of the content. */
static void extract_part(Walker *w, GMimePart *part, const char *filename)
{
    GMimeStream *out = g_mime_stream_mem_new();
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (content != NULL && g_mime_data_wrapper_write_to_stream(content, out) < 0)
        w->work.decode_errors++;
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));

    g_checksum_reset(w->sha256);
    g_checksum_update(w->sha256, bytes->data, bytes->len);
    const char *hex = g_checksum_get_string(w->sha256);

    w->work.attachments++;
    w->work.decoded_bytes += bytes->len;
    if (w->list != NULL) {
        fprintf(w->list, "%s\t%s\t", w->file, w->path->str);
        print_escaped(w->list, filename);
        fprintf(w->list, "\t%u\t%s\n", bytes->len, hex);
    }
    g_object_unref(out);
}

/* A message's body: a multipart root takes the enclosing number (its children are P.1, P.2,
 * ...); a single-part body is P.1 (or 1 at top level). */
static void walk_message(Walker *w, GMimeMessage *message)
{
    GMimeObject *root = g_mime_message_get_mime_part(message);
    if (root == NULL)
        return;
    if (GMIME_IS_MULTIPART(root)) {
        walk_object(w, root);
    } else {
        gsize saved = w->path->len;
        g_string_append(w->path, saved ? ".1" : "1");
        walk_object(w, root);
        g_string_truncate(w->path, saved);
    }
}

static void walk_object(Walker *w, GMimeObject *object)
{
    if (GMIME_IS_MULTIPART(object)) {
        GMimeMultipart *multipart = GMIME_MULTIPART(object);
        int count = g_mime_multipart_get_count(multipart);
        gsize saved = w->path->len;
        for (int i = 0; i < count; i++) {
            g_string_append_printf(w->path, saved ? ".%d" : "%d", i + 1);
            walk_object(w, g_mime_multipart_get_part(multipart, i));
            g_string_truncate(w->path, saved);
        }
    } else if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage *message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (message != NULL)
            walk_message(w, message);
    } else if (GMIME_IS_PART(object)) {
        GMimePart *part = GMIME_PART(object);
        const char *filename = g_mime_part_get_filename(part);
        if (is_extracted(part, filename))
            extract_part(w, part, filename);
    }
}

/* One message: parse from memory, walk, free everything. */
static void process(Walker *w, const Input *input)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(input->data, input->length);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    if (message == NULL) {
        w->work.parse_failures++;
        return;
    }
    w->work.messages++;
    w->file = input->name;
    g_string_truncate(w->path, 0);
    walk_message(w, message);
    g_object_unref(message);
}

static Work run_once(Walker *w, const Input *inputs, size_t count)
{
    memset(&w->work, 0, sizeof w->work);
    for (size_t i = 0; i < count; i++)
        process(w, &inputs[i]);
    return w->work;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(const double *values, int count)
{
    double *sorted = g_new(double, count);
    memcpy(sorted, values, sizeof(double) * count);
    qsort(sorted, count, sizeof(double), compare_double);
    double m = count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0;
    g_free(sorted);
    return m;
}

static int parse_count(const char *option, const char *value, int minimum)
{
    char *end = NULL;
    errno = 0;
    long n = value ? strtol(value, &end, 10) : -1;
    if (value == NULL || *value == '\0' || *end != '\0' || errno != 0 || n < minimum || n > 1000000) {
        fprintf(stderr, "gmime-bench: %s needs an integer >= %d\n", option, minimum);
        exit(2);
    }
    return (int) n;
}

/* --list: one untimed pass that prints every extracted part. */
static int list_parts(Walker *w, const Input *inputs, size_t count)
{
    w->list = stdout;
    Work work = run_once(w, inputs, count);
    w->list = NULL;
    fflush(stdout);
    fprintf(stderr, "gmime-bench: %zu files, %" G_GUINT64_FORMAT " parsed, %" G_GUINT64_FORMAT
            " extracted parts, %" G_GUINT64_FORMAT " decoded bytes\n",
            count, work.messages, work.attachments, work.decoded_bytes);
    return 0;
}

static int benchmark(Walker *w, const Input *inputs, size_t count, guint64 total_bytes, int iterations,
                     int warmup)
{
    for (int i = 0; i < warmup; i++)
        run_once(w, inputs, count);

    double *times = g_new(double, iterations);
    Work reference = { 0 };
    for (int i = 0; i < iterations; i++) {
        double start = now_ms();
        Work work = run_once(w, inputs, count);
        times[i] = now_ms() - start;
        if (i == 0) {
            reference = work;
        } else if (memcmp(&work, &reference, sizeof work) != 0) {
            fprintf(stderr, "gmime-bench: iteration %d did different work than iteration 1\n", i + 1);
            g_free(times);
            return 1;
        }
    }
    if (reference.parse_failures != 0 || reference.decode_errors != 0)
        fprintf(stderr, "gmime-bench: %" G_GUINT64_FORMAT " messages not parsed, %" G_GUINT64_FORMAT
                " parts not decoded\n", reference.parse_failures, reference.decode_errors);

    double med = median(times, iterations);
    printf("engine gmime-%u.%u.%u\n", gmime_major_version, gmime_minor_version, gmime_micro_version);
    printf("files %zu bytes %" G_GUINT64_FORMAT "\n", count, total_bytes);
    printf("work attachments %" G_GUINT64_FORMAT " decoded_bytes %" G_GUINT64_FORMAT "\n",
           reference.attachments, reference.decoded_bytes);
    printf("iteration_ms");
    for (int i = 0; i < iterations; i++)
        printf(" %.3f", times[i]);
    printf("\n");
    printf("median_ms %.3f messages_per_s %.1f mib_per_s %.2f\n", med, (double) count * 1000.0 / med,
           (double) total_bytes / (1024.0 * 1024.0) / (med / 1000.0));
    g_free(times);
    return 0;
}

static void usage(void)
{
    fputs("usage: gmime-bench [--iterations N] [--warmup W] FILE...\n"
          "       gmime-bench --list FILE...\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int iterations = 10, warmup = 1;
    gboolean list = FALSE;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0)
            iterations = parse_count("--iterations", argv[++i], 1);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = parse_count("--warmup", argv[++i], 0);
        else if (strcmp(argv[i], "--list") == 0)
            list = TRUE;
        else if (strcmp(argv[i], "--") == 0) {
            first_file = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] == '-')
            usage();
        else {
            first_file = i;
            break;
        }
    }
    size_t count = (size_t) (argc - first_file);
    if (count == 0)
        usage();

    Input *inputs = g_new0(Input, count);
    guint64 total_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        const char *path = argv[first_file + (int) i];
        GError *error = NULL;
        if (!g_file_get_contents(path, &inputs[i].data, &inputs[i].length, &error)) {
            fprintf(stderr, "gmime-bench: %s\n", error->message);
            return 2;
        }
        inputs[i].name = g_path_get_basename(path);
        total_bytes += inputs[i].length;
    }

    g_mime_init();
    Walker walker = { .sha256 = g_checksum_new(G_CHECKSUM_SHA256), .path = g_string_sized_new(256) };
    int status = list ? list_parts(&walker, inputs, count)
                      : benchmark(&walker, inputs, count, total_bytes, iterations, warmup);

    g_string_free(walker.path, TRUE);
    g_checksum_free(walker.sha256);
    for (size_t i = 0; i < count; i++) {
        g_free(inputs[i].data);
        g_free(inputs[i].name);
    }
    g_free(inputs);
    g_mime_shutdown();
    return status;
}
