"""Short example posts we wrote ourselves, per language, added to every training run.

They teach the two things the research corpora say little about: a plain question to a
brand and plain news about a brand are not complaints.
"""

from __future__ import annotations

from monitor.classify.data import Example

_NOT = {
    "en": [
        "does this ship to Gdańsk?", "do you deliver on Sundays?", "what time does the store open?",
        "is the blue one back in stock?", "can I pay with PayPal?",
        "Acme opens its first store in Warsaw next month",
        "Acme reports record quarterly sales, shares up 4%",
        "Acme announces a new CEO starting in January",
        "Northwind Airlines adds a daily flight to Lisbon from June, the company said on Friday",
        "the firm said on Monday it will hire 200 people at its Gdynia depot this autumn",
        "Acme's new store in Manchester opens on Saturday with live music",
        "shares in Acme rose 3% after the company raised its forecast",
        "Acme recalls nothing and reports a quiet quarter, analysts say",
        "the retailer will publish its annual report next Thursday",
        "thanks for the quick reply, all sorted now!", "love my new jacket from @user",
        "great service today, the courier was so friendly",
        "just ordered the new phone, can't wait to try it",
    ],
    "pl": [
        "czy wysyłacie do Gdańska?", "o której otwieracie sklep w sobotę?",
        "czy można zapłacić blikiem?", "Acme otwiera nowy sklep w Krakowie",
        "Acme ogłosiło wyniki za trzeci kwartał",
        "firma poinformowała we wtorek, że zatrudni 100 osób w nowym magazynie",
        "nowa restauracja sieci ruszy w Poznaniu w przyszłym miesiącu",
        "dziękuję za szybką odpowiedź, wszystko działa",
        "super obsługa, polecam!", "paczka przyszła wczoraj, wszystko w porządku",
    ],
    "ar": [
        "هل توصلون إلى جدة؟", "متى يفتح الفرع الجديد؟", "هل يمكن الدفع عند الاستلام؟",
        "الشركة تفتتح فرعا جديدا في عمان الشهر القادم", "الشركة تعلن عن نتائجها السنوية",
        "أعلنت الشركة يوم الثلاثاء عن توظيف 200 موظف في مستودعها الجديد",
        "شكرا على الخدمة الممتازة", "وصل الطلب بسرعة، شكرا لكم", "منتج رائع انصح به",
    ],
    "fa": [
        "آیا به شیراز هم ارسال دارید؟", "ساعت کاری فروشگاه چنده؟", "میشه پرداخت در محل داشت؟",
        "این شرکت شعبه جدیدی در تهران افتتاح کرد", "شرکت نتایج مالی سال را اعلام کرد",
        "شرکت روز سه شنبه اعلام کرد که ۲۰۰ نفر را در انبار جدید استخدام می کند",
        "ممنون از پیگیری سریعتون", "غذا خیلی خوشمزه و گرم بود، ممنون", "عالی بود، باز هم سفارش میدم",
    ],
}
_COMPLAINT = {
    "en": [
        "my order never arrived and nobody answers my emails", "charged twice and still no refund",
        "the app crashes every time I try to check out", "third time the parcel is late, fed up",
        "received a broken screen and support just ignores me",
        "been on hold for two hours, this is ridiculous",
    ],
    "pl": [
        "paczka nie dotarła, a obsługa nie odpowiada od tygodnia",
        "pobrali pieniądze dwa razy i nadal brak zwrotu",
        "aplikacja ciągle się zawiesza przy płatności", "dostałem uszkodzony towar, nie polecam",
    ],
    "ar": [
        "الطلب ما وصل لحد الان وما حدا يرد علينا", "خصموا المبلغ مرتين وما رجعوا فلوسي",
        "التطبيق ما يشتغل وقت الدفع", "وصلني المنتج مكسور وخدمة العملاء سيئة",
    ],
    "fa": [
        "سفارشم هنوز نرسیده و پشتیبانی جواب نمیده", "پول دو بار از حسابم کسر شد و برنگشت",
        "اپلیکیشن موقع پرداخت خطا میده", "غذا سرد و دیر رسید، افتضاح بود",
    ],
}


def seed_examples() -> list[Example]:
    """Our own labelled examples in en/ar/fa/pl."""
    out: list[Example] = []
    for label, table in ((0, _NOT), (1, _COMPLAINT)):
        for lang, texts in table.items():
            out.extend(Example(t, lang, label, "seeds") for t in texts)
    return out
