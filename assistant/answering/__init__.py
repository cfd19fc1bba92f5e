"""From a question to a cited answer: evidence, extractive or generated answers, checks."""
