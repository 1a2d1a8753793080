"""Layout analysis of PDF pages: pure functions over positioned words and ruling lines.

``page`` holds the page model every step shares; the PDF loader builds it from the PDF library
and runs the steps (reading order, running headers and footers, tables, table of contents,
headings) over it. Nothing here does I/O.
"""
