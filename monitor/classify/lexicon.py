"""Cue phrases we wrote ourselves, per language: what a complaint is about, and how angry.

Matching is on folded text (lower case, Arabic/Persian letter variants unified), by
substring for Arabic script and by word prefix for Latin script, so "refunded" and
"zwrotu" match "refund" and "zwrot".
"""

from __future__ import annotations

import re
from functools import lru_cache

from monitor.classify.text import fold
from monitor.domain import Category

CATEGORY_CUES: dict[Category, dict[str, tuple[str, ...]]] = {
    Category.DELIVERY: {
        "en": ("never arrived", "not arrived", "hasn't arrived", "still waiting", "delivery",
               "delivered", "shipping", "shipment", "package", "parcel", "courier", "late",
               "delayed", "delay", "tracking", "lost luggage", "lost my bag", "missing order",
               "where is my order", "order hasn't", "driver", "cold food", "baggage"),
        "pl": ("nie dotar", "przesyłk", "paczk", "kurier", "dostaw", "opóźni", "spóźni",
               "zaginęł", "czekam na zamówienie", "wysyłk", "nie doszł"),
        "ar": ("توصيل", "التوصيل", "الشحن", "شحنه", "الطلب ما وصل", "لم يصل", "ما وصل",
               "تاخير", "متاخر", "المندوب", "التوصيل متاخر"),
        "fa": ("ارسال", "تحویل", "پیک", "دیر رسید", "دیر اومد", "نرسید", "تاخیر", "سرد بود",
               "سرد رسید", "هنوز نرسیده", "پست"),
    },
    Category.PRODUCT: {
        "en": ("broken", "damaged", "defective", "faulty", "wrong item", "wrong size",
               "wrong order", "doesn't work", "does not work", "stopped working", "cracked",
               "missing parts", "poor quality", "quality", "fake", "expired", "stale", "raw",
               "smashed", "ripped", "torn", "leaking"),
        "pl": ("uszkodz", "zepsut", "wadliw", "pęknięt", "nie działa", "jakość", "podróbk",
               "zły rozmiar", "niezgodn", "przeterminowan", "brakuje"),
        "ar": ("مكسور", "تالف", "معطل", "خربان", "ما يشتغل", "لا يعمل", "جوده سيئه", "مغشوش",
               "منتهي الصلاحيه", "غلط"),
        "fa": ("خراب", "شکسته", "معیوب", "اشتباه", "کیفیت", "تقلبی", "کار نمیکنه", "کار نمی کند",
               "بی کیفیت", "تاریخ گذشته", "کم بود", "کم ارسال", "کم فرستاد", "بو میداد"),
    },
    Category.REFUND: {
        "en": ("refund", "money back", "return", "returned", "cancel", "cancelled", "canceled",
               "cancellation", "chargeback", "reimburse", "compensation", "voucher"),
        "pl": ("zwrot", "zwróc", "reklamacj", "anulow", "odszkodowan", "rezygnacj", "oddać pieniądze"),
        "ar": ("استرجاع", "استرداد", "ارجاع", "الغاء", "الغاء الطلب", "رجعوا فلوسي", "تعويض"),
        "fa": ("مرجوع", "برگشت پول", "پول برگشت", "لغو", "کنسل", "عودت", "بازگشت وجه", "پس بدم"),
    },
    Category.PAYMENT: {
        "en": ("charged twice", "double charged", "overcharged", "charged", "billing", "bill",
               "invoice", "payment", "checkout", "card declined", "declined", "transaction",
               "subscription", "fee", "fees"),
        "pl": ("płatnoś", "zapłaci", "obciąż", "faktur", "rachun", "opłat", "karta odrzucon",
               "przelew", "pobrano", "subskrypcj"),
        "ar": ("الدفع", "دفعت", "الفاتوره", "خصم", "سحب من حسابي", "البطاقه", "رسوم", "اشتراك"),
        "fa": ("پرداخت", "کسر شد", "کم شد از حساب", "فاکتور", "درگاه", "کارت", "تراکنش", "شارژ"),
    },
    Category.SERVICE: {
        "en": ("customer service", "customer care", "support", "no answer", "no response",
               "no reply", "ignored", "ignoring", "rude", "on hold", "hung up", "nobody",
               "no one", "agent", "staff", "representative", "manager", "unhelpful", "dm",
               "hours on the phone", "call center", "flight attendant", "crew"),
        "pl": ("obsług", "infolini", "konsultant", "nikt nie odpowiada", "brak odpowiedzi",
               "niegrzeczn", "chamsk", "personel", "pracownik", "nie odbiera", "recepcj",
               "lekarz", "doktor"),
        "ar": ("خدمه العملاء", "الموظف", "ما حدا رد", "لا يرد", "ما يردون", "وقح", "سيئه التعامل",
               "الدعم", "موظفين", "تعامل"),
        "fa": ("پشتیبانی", "جواب نمیدن", "پاسخگو نیست", "جواب نداد", "برخورد", "بی ادب",
               "کارمند", "اپراتور", "تماس گرفتم", "رفتار"),
    },
    Category.APP: {
        "en": ("app", "website", "site", "login", "log in", "password", "crash", "crashes",
               "crashed", "error", "bug", "glitch", "server", "outage", "down again", "update",
               "online booking", "can't sign in", "page", "wifi", "wi-fi", "internet"),
        "pl": ("aplikacj", "stron", "logowa", "hasło", "błąd", "nie mogę się zalogować",
               "serwis nie działa", "awari", "aktualizacj", "internet"),
        "ar": ("التطبيق", "الموقع", "تسجيل الدخول", "كلمه السر", "خطا", "عطل", "التحديث", "النت"),
        "fa": ("اپلیکیشن", "برنامه", "سایت", "اپ", "ورود", "رمز", "خطا", "باگ", "آپدیت",
               "اینترنت", "قطع"),
    },
    Category.PRICE: {
        "en": ("price", "prices", "expensive", "overpriced", "rip off", "ripoff", "rip-off",
               "too much money", "cost", "costs", "pricey", "raised the price"),
        "pl": ("cen", "drogo", "drogi", "drożej", "przepłac", "zdzierstw", "koszt"),
        "ar": ("الاسعار", "السعر", "غالي", "غاليه", "نصب", "سرقه", "مبالغ"),
        "fa": ("قیمت", "گران", "گرون", "گرانفروشی", "گرونه", "هزینه", "پول زیادی"),
    },
}

ANGER_CUES: dict[str, tuple[str, ...]] = {
    "en": ("worst", "terrible", "horrible", "awful", "disgusting", "disgrace", "pathetic",
           "ridiculous", "unacceptable", "furious", "angry", "fed up", "sick of", "never again",
           "scam", "liars", "lied", "joke", "useless", "incompetent", "shame on", "wtf",
           "hate", "f*ck", "fuck", "shit", "crap", "hell", "idiots", "thieves", "sue"),
    "pl": ("najgorsz", "fataln", "skandal", "żenad", "porażk", "okropn", "oszuk", "oszust",
           "złodzie", "nigdy więcej", "wściek", "beznadziej", "kpina", "tragedi", "dramat",
           "masakr", "odradzam", "nie polecam", "koszmar"),
    "ar": ("اسوا", "زفت", "فاشل", "فاشلين", "حرامي", "حراميه", "نصابين", "قرف", "مقرف",
           "حسبي الله", "كذابين", "خايس", "تعبان", "ما بنصح", "لا انصح", "يلعن", "قذر", "حقير"),
    "fa": ("افتضاح", "بدترین", "افتضاحه", "مزخرف", "افتضاح بود", "کلاهبردار", "دزد", "اصلا",
           "دیگه سفارش نمیدم", "هرگز", "فاجعه", "بی شعور", "توصیه نمیکنم", "آشغال", "اشغال",
           "شرم", "داغون"),
}

# Words that on their own suggest the post is a complaint, used only to explain a verdict.
COMPLAINT_CUES: dict[str, tuple[str, ...]] = {
    "en": ("still", "again", "still waiting", "no one", "nobody", "never", "can't", "cannot",
           "won't", "didn't", "doesn't", "not working", "disappointed", "fix", "why", "please help",
           "still no", "days", "hours", "waste", "lost", "stuck", "problem", "issue", "fail"),
    "pl": ("niestety", "nie polecam", "rozczarow", "problem", "zawiod", "nie działa", "nadal",
           "wciąż", "dlaczego", "strata", "nie dostał"),
    "ar": ("للاسف", "مشكله", "ليش", "لماذا", "ما في", "مش", "زعلان", "خيبه", "سيء", "سيئ"),
    "fa": ("متاسفانه", "مشکل", "چرا", "نبود", "نداشت", "بد بود", "افتضاح", "ناراضی", "بد",
           "نه", "ضعیف"),
}


def _latin(lang: str) -> bool:
    return lang in ("en", "pl")


@lru_cache(maxsize=512)
def _pattern(cue: str, latin: bool) -> re.Pattern[str]:
    escaped = re.escape(fold(cue))
    return re.compile(rf"(?<!\w){escaped}\w*" if latin else rf"\w*{escaped}\w*")


@lru_cache(maxsize=64)
def _longest_first(cues: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((cue, fold(cue)) for cue in sorted(cues, key=len, reverse=True))


def find(text: str, cues: tuple[str, ...], lang: str) -> list[str]:
    """Return the words of `text` (already folded) that match cues, longest cue first.

    A cue is a stem or phrase; what comes back is the text's own wording ("zwrotu" for
    the cue "zwrot"), without repeats or phrases contained in ones already found.
    """
    latin = _latin(lang)
    found: list[str] = []
    for cue, folded in _longest_first(cues):
        if folded not in text:  # a cheap test first: most cues are absent from most posts
            continue
        match = _pattern(cue, latin).search(text)
        if match and not any(match.group() in f for f in found):
            found.append(match.group())
    return found


def cues_for(lang: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Cues for `lang`, falling back to English for languages we wrote none for."""
    return table.get(lang, table["en"])
