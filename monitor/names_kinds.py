"""Words that say what kind of thing a name belongs to, in our four languages.

A `not_us` entry such as "Kredo FC" names the brand's namesake by its name and a word of its
kind ("FC"). People write that word in their own language ("نادي كريدو", "باشگاه کردو",
"klub Kredo"), so each kind below lists the words for it in English, Arabic, Persian (with
some Finglish) and Polish; `names_namesake` reads an entry's own words and every word of a
kind they belong to. Words are as people write them; matching folds case, accents and the
Arabic letter variants, and allows endings (hotel → hotelu, lamp → lamps).

Only the kinds a brand's own `not_us` entries name are ever used for that brand. Words a brand
itself may stand beside are left out: team, group, programme (an app in Arabic and Persian),
box, container, pizza, scooter, route, bar, book (the verb), drink.
"""

from __future__ import annotations

KINDS: dict[str, tuple[str, ...]] = {
    "sports club": (
        "fc", "club", "football", "stadium", "league", "cup", "نادي", "كأس", "ملعب", "الدوري",
        "باشگاه", "جام", "استادیوم", "فوتبال", "لیگ", "اف‌سی", "klub", "puchar", "stadion", "liga"),
    "music": (
        "band", "album", "concert", "song", "singer", "gig", "فرقة", "ألبوم", "حفل", "حفلة",
        "أغنية", "مغني", "مطرب", "آلبوم", "کنسرت", "آهنگ", "خواننده", "płyta", "plyta",
        "koncert", "piosenka", "utwór"),
    "festival": ("festival", "fest", "مهرجان", "جشنواره", "فستیوال", "festiwal"),
    "hotel": (
        "hotel", "inn", "resort", "hostel", "motel", "فندق", "نزل", "منتجع", "هتل", "مهمانسرا",
        "pensjonat"),
    "restaurant": (
        "restaurant", "pizzeria", "cafe", "café", "bistro", "diner", "مطعم", "مقهى", "كافيه",
        "رستوران", "پیتزافروشی", "کافه", "restauracja", "kawiarnia"),
    "perfume": (
        "perfume", "fragrance", "cologne", "عطر", "برفان", "برفيوم", "ادکلن", "perfumy", "perfum"),
    "sweets": (
        "gum", "chewing", "candy", "sweets", "chocolate", "علكة", "علك", "لبان", "شوكولاتة",
        "آدامس", "شکلات", "guma", "gumy", "cukierki", "czekolada"),
    "soap": (
        "soap", "detergent", "dishwashing", "صابون", "منظف", "ظرفشویی", "شوینده", "mydło",
        "detergent"),
    "game": (
        "game", "boardgame", "videogame", "console", "لعبة", "بازی", "gra", "gry", "grze", "grę",
        "planszówka", "planszowa"),
    "lamp": (
        "lamp", "bulb", "flashlight", "torch", "لمبة", "لمبات", "مصباح", "لامبا", "لامبات", "لامپ",
        "چراغ", "lampa", "lampy", "żarówka", "latarka"),
    "bicycle": (
        "bike", "bicycle", "دراجة", "بسكليت", "بيكالة", "دوچرخه", "docharkhe", "rower"),
    "lunch box": ("lunchbox", "lunch", "bento", "قمقمه", "śniadaniówka", "bidon"),
    "tv show": (
        "show", "series", "episode", "sitcom", "مسلسل", "سریال", "serial", "odcinek"),
    "film": ("film", "movie", "فيلم", "فیلم"),
    "book": ("novel", "كتاب", "رواية", "کتاب", "رمان", "książka", "powieść"),
    "street": (
        "street", "road", "avenue", "square", "شارع", "ميدان", "خیابان", "خیابون", "میدان",
        "ulica", "ulicy", "plac"),
    "bird": (
        "bird", "falcon", "hawk", "animal", "طائر", "طير", "صقر", "عصفور", "پرنده", "قوش",
        "ptak", "ptaki", "sokół", "pustułka"),
    "beer": ("beer", "lager", "بيرة", "آبجو", "piwo"),
    "school": (
        "school", "university", "college", "academy", "مدرسة", "جامعة", "أكاديمية", "مدرسه",
        "دانشگاه", "szkoła", "uniwersytet", "akademia"),
}
