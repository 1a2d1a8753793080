"""Answer: retrieve passages for a question and write a cited answer from them."""
