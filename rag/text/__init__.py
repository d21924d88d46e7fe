"""Language data and text rules for Azerbaijani, Russian and English, written once.

Ingestion, lexical search, citation verification, the answer stage and the eval scorer all need the
same small pieces of language knowledge; when each kept its own copy they drifted apart (the verifier
split sentences differently from the chunker, the scorer knew month forms the product did not). Each
module here does one job, under a name that says which job:

- ``fold``      -- case and diacritics: ``lower_text`` (per-language lower-casing, Azerbaijani dotted/dotless
                   i), ``lower_any`` (one lower-casing for all three languages), ``fold_diacritics``
                   (Hüseynov -> huseynov, Cyrillic kept).
- ``translit``  -- Cyrillic <-> Latin (one table), and ``latin_skeleton`` for comparing names across scripts.
- ``sentences`` -- the one sentence splitter (abbreviation-aware) and the sentence window.
- ``months``    -- month names and their case forms.
- ``numbers``   -- number words in their case forms.
- ``dates``     -- dates and periods read from az/ru/en text, and written in another of the languages.
- ``counts``    -- numbers with the noun they count ("10 dövləti", "4-го круглого стола"), cardinal or ordinal.
- ``names``     -- capitalised name spans with az/ru case endings stripped, rendered in another script.
- ``anaphora``  -- whether a question leans on the conversation before it (pronouns, "And …", no name).

Nothing here imports the rest of ``rag``: it is the bottom layer, and ``evals`` may import it too.
"""
