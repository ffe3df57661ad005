"""The seq2seq model runtime that translators and summarizers share.

Finding a checkpoint by id (`hub`), loading and checking it, the transformers and CTranslate2 runners
(`hf`, `ct2`), conversion to CTranslate2 and its cache (`convert`), token-budget batching (`batching`),
the decoding rules, and choosing a backend by name (`backends`).
"""
