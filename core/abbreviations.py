"""Abbreviations after which a full stop does not end a sentence, per script.

Data for `core.segment`. Words are written without their final full stop and matched in lower case;
an abbreviation with inner stops ("ه.ق", "बी.जे.पी") is also matched piece by piece, each piece an
initial. The lists are short on purpose: a stop after a listed word never ends a sentence, so a
word that also ends ordinary sentences belongs in `BEFORE_NUMBER` or nowhere.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LATIN = _words(
    "mr mrs ms dr prof st sr jr vs e.g i.e cf approx gen col capt lt sgt gov sen rep dept univ "
    "rs hon govt pvt smt shri sh jt addl asst supt insp"
)
# Abbreviations that are also ordinary words ("the answer was no."): only before a number.
LATIN_BEFORE_NUMBER = _words(
    "no nos nr art arts sec ch p pp vol fig figs para jan feb mar apr jun jul aug sep sept oct nov dec"
)

# Hindi, Marathi and Nepali news: titles, currency, units, dates ("दि." in Marathi datelines), places.
DEVANAGARI = _words("डॉ डा प्रो रु रू दि स्व कु मो मु पं नं क्र सं पृ ता जि लि प्रा कि मि पू प्र हि मी")
# The names of the Latin letters as Hindi writes initials ("एस. जयशंकर", "बी.जे.पी."). "के" (K) is
# also the postposition "of", which never ends a sentence in a verb-final language.
DEVANAGARI_LETTERS = _words("ए बी सी डी ई एफ जी एच आई जे के एल एम एन ओ पी क्यू आर एस टी यू वी डब्ल्यू एक्स वाई जेड ज़ेड")

# Arabic and Persian abbreviate with single letters, which are initials anyway: "د." (doctor), "أ."
# (professor), "ج." (volume), "ص." (page), and runs of them, the eras "ه.ق", "ه.ش", "ق.م".
# "هـ" (hijri) carries a tatweel to keep the letter's joined form, so it is two characters.
ARABIC = _words("هـ")

ALWAYS = LATIN | DEVANAGARI | ARABIC
BEFORE_NUMBER = LATIN_BEFORE_NUMBER
# Pieces that make up a run of initials such as "U.S.A", "बी.जे.पी" or "ه.ق".
INITIALS = DEVANAGARI_LETTERS
