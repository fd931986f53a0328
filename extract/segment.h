/* segment.h - the document's structure (issue 6): one segment per
 * normalised line, with its kind, label, section path and, for table rows,
 * the cells. Filled by vnx_segment (segment.c) before the rules run; read by
 * the link stage and by anything that needs to know where an offset sits
 * (a table cell and its column header, a footnote, the signature block).
 *
 * All offsets are byte offsets in the normalised text (doc->text.s). */
#ifndef VNX_SEGMENT_H
#define VNX_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum vnx_seg_kind {
  VNX_SEG_BLANK = 0,
  VNX_SEG_HEADING,    /* "I.", "1.", "1.1.", "2.2.1.", "a)", "PHỤ LỤC III", ALL CAPS */
  VNX_SEG_ITEM,       /* "-", "+", "(1)", "(i)" */
  VNX_SEG_PARA,       /* anything else (cont = continues the line before) */
  VNX_SEG_TABLE_ROW,  /* a tab-separated row that is not a header */
  VNX_SEG_TABLE_HEADER, /* a header row (also when repeated at a page break) */
  VNX_SEG_FOOTNOTE,   /* "[12] ..." */
  VNX_SEG_SIGNATURE,  /* "T/M THÀNH ỦY", title, name */
  VNX_SEG_RECIPIENTS, /* "Nơi nhận:" and its list */
} vnx_seg_kind;

/* Heading / item levels (the index into the section path). */
enum {
  VNX_LVL_APPENDIX = 0, /* PHỤ LỤC III */
  VNX_LVL_ROMAN = 1,    /* I., II.; also unlabelled ALL-CAPS headings */
  VNX_LVL_NUM1 = 2,     /* 1.  (also "Điều 1.") */
  VNX_LVL_NUM2 = 3,     /* 1.1. */
  VNX_LVL_NUM3 = 4,     /* 1.1.1. */
  VNX_LVL_LETTER = 5,   /* a) */
  VNX_LVL_PAREN = 6,    /* (1), (i) */
  VNX_LVL_DASH = 7,     /* - */
  VNX_LVL_PLUS = 8,     /* + */
  VNX_NLEVELS = 9
};

typedef struct vnx_cell {
  size_t start, end; /* trimmed cell text; start == end for an empty cell */
} vnx_cell;

/* The type is vnx_seg (struct vnx_segment): the name vnx_segment is taken by
 * the stage function vnx_segment(vnx_doc *) declared in internal.h. */
typedef struct vnx_segment {
  vnx_seg_kind kind;
  size_t start, end;  /* the line, without its "\n" */
  size_t body;        /* where the text after the label starts */
  int level;          /* VNX_LVL_* for headings and items, -1 otherwise */
  char label[32];     /* "I.", "1.1.", "a)", "(1)", "-", "PHỤ LỤC III", "" */
  char *section;      /* path: "IV.2.3", "2.2", "PHỤ LỤC III/(46)", "" (one of S->paths) */
  bool cont;          /* paragraph continuing the previous text line (page break) */
  int prev_text;      /* index of the text segment this one continues, or -1 */
  /* tables */
  int table;          /* index into tables, or -1 */
  int row;            /* logical row index in its table, or -1 (header, outside) */
  vnx_cell *cells;    /* physical cells of this line (rows and headers) */
  size_t ncells;
} vnx_seg;

typedef struct vnx_table_row {
  size_t seg;    /* the segment that starts the row */
  size_t *conts; /* continuation segments joined to it (page-break splits) */
  size_t nconts;
} vnx_table_row;

typedef struct vnx_table {
  size_t first, last; /* segment range [first, last] */
  size_t ncols;
  char **header;      /* per column: the most specific header text ("Cơ quan chủ trì") or "" */
  char **header_full; /* per column: header rows joined with " / " */
  char **header_lower; /* per column: header lower-cased (vnx_table_find_column) */
  vnx_table_row *rows;
  size_t nrows;
} vnx_table;

struct vnx_segments {
  vnx_seg *v;
  size_t n;
  size_t *starts; /* v[i].start: vnx_segment_index searches these, not v
                   * (a segment is 120 bytes, a cache line per probe) */
  vnx_table *tables;
  size_t ntables;
  char *lower; /* the text lower-cased, same offsets (NULL: not possible) */
  char **paths; /* the section paths segments point to (a run of segments shares one) */
  size_t npaths, cappaths;
  /* per segment, set by vnx_link_scope (link.c) before the rules run:
   * inside the parts of the document that assign work; and whether a body
   * found there can be kept (body_scope NULL: anywhere) */
  bool *directive;
  bool *body_scope;
};

/* The segment (line) holding normalised offset noffset, or NULL. */
const vnx_seg *vnx_segment_at(const struct vnx_segments *s, size_t noffset);
/* Index of that segment, or -1. */
long vnx_segment_index(const struct vnx_segments *s, size_t noffset);
/* For a table row or header: the column of noffset (-1 if not in a cell)
 * and, if header is not NULL, that column's header text ("" if none). */
int vnx_segment_column(const struct vnx_segments *s, const vnx_seg *seg,
                       size_t noffset, const char **header);
/* Section path at noffset ("" if none). Never NULL. */
const char *vnx_section_at(const struct vnx_segments *s, size_t noffset);
/* Column whose header (most specific) contains needle, case-insensitive
 * ASCII/UTF-8 lowercase folding of Vietnamese letters; -1 if none. */
int vnx_table_find_column(const vnx_table *t, const char *needle);

/* Lower-case copy of s[0..n) for Latin and Vietnamese letters (malloc'd). */
char *vnx_utf8_lower(const char *s, size_t n);
/* The same into out (room for n * 2 + 1 bytes); returns its length. */
size_t vnx_utf8_lower_into(const char *s, size_t n, char *out);
/* The lower case of one code point as vnx_utf8_lower (and the document's
 * lowered text) has it. */
unsigned vnx_lower_cp(unsigned c);

struct vnx_doc;
/* vnx_utf8_lower(text + a, b - a) of the normalised text, copied from the
 * text lower-cased once by vnx_segment. */
char *vnx_doc_lower(const struct vnx_doc *d, size_t a, size_t b);
/* The same bytes in place (not NUL-terminated at b), or NULL when that copy
 * cannot serve [a, b) (no segments yet, a or b inside a character, or a
 * text that does not lower in place). */
const char *vnx_doc_lower_view(const struct vnx_doc *d, size_t a, size_t b);

#endif
