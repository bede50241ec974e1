"""Words that say nothing about what a complaint is about, per language the bot reads first.

Folded as `monitor.classify.text.fold` folds post text (lower case, Arabic and Persian letter
variants unified), so a word is looked up as the report's word counts see it.
"""

from __future__ import annotations

from monitor.classify.text import fold

_EN = """
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each even ever every few for from further get gets got had
hadn't has hasn't have haven't having he her here hers herself him himself his how i i'm if
in into is isn't it it's its itself just let's like me more most much must my myself no nor
not now of off on once one only or other our ours ourselves out over own really same she
should so some still such than that that's the their theirs them themselves then there
these they this those through to too under until up us very was wasn't we were weren't what
when where which while who whom why will with won't would wouldn't yet you your yours
yourself again already always anyone anything day days hey hi http im ive just know lol
make many may never nobody nothing please since thanks thank time today user want way
week yes yesterday
"""
_PL = """
a aby ale bez bo by być był była było były chce co czy dla do dziś gdy gdzie go i ich ich
ile im jak jakie jaki jest jestem jeszcze jego jej już ja ją każdy kiedy kto która które
który ma mam mi mnie mój moja moje mu na nad nawet nic nie nigdy nim niż no o od oraz po pod
przez przy się są ta tak tam te tego tej ten też to tu tylko tym u w we wszystko z za że
żeby znowu już dzień dni dzisiaj proszę http user temu bardzo został została zostało
nikt nadal wciąż jeszcze więc bo mój moim moją moich państwa wasz wasza
"""
_AR = """
في من على إلى الى عن مع هذا هذه ذلك تلك هو هي هم انا أنا نحن انت أنت كان كانت يكون لا لم لن
ما ماذا متى كيف أين اين هل و او أو ثم قد كل بعد قبل عند حتى لقد إن ان أن التي الذي الذين
يا اي أي شي شيء جدا اليوم منذ بس http user لي عندي ليش والله مره مرة صار حد
"""
_FA = """
و در به از که این آن را با برای تا هم یا اما اگر چه چرا کجا کی من ما تو شما او آنها ایشان
است هست نیست بود شد شده می نمی هیچ همه یک دو خیلی هنوز باید دیگر روز امروز دیروز هر ولی
کرد کنم کند کردم اینکه چون پس بعد قبل http user دهد دهند کنید کنند شود نشد ندارد دارد
دارم واقعا کاملا اصلا هیچکس
"""

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(fold(w) for w in words.split())
    for lang, words in (("en", _EN), ("pl", _PL), ("ar", _AR), ("fa", _FA))
}
ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())


def is_stop_word(word: str, lang: str) -> bool:
    """Whether `word` (folded) says nothing in `lang`; a post's language may be wrong, so
    the English list applies to every post as well."""
    return word in STOP_WORDS.get(lang, ALL_STOP_WORDS) or word in STOP_WORDS["en"]
