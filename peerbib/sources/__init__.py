"""Where records come from: one package per source (OpenAlex today; Europe PMC, scite and
Semantic Scholar as the statements wing arrives). A source builds requests, sends them
and reads what comes back; it writes nothing (the snapshot stage stores it)."""
