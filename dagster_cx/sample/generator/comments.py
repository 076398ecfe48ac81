"""Free-text survey comments in three languages and scripts, from templates per NPS group.

Some templates carry an e-mail address or a phone number in the customer's country
format: personal data planted for the masking tests to find.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_cx.sample.generator.customers import LANGUAGES

# Comment templates per language and NPS group; {email} and {phone} plant personal data
# for the masking tests.
_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pl": (
        ("Czekałem ponad pół godziny na połączenie, to skandal.",
         "Nikt nie odpowiedział na mojego maila od tygodnia. Mój adres: {email}",
         "Źle naliczona opłata i nikt nie potrafi tego wyjaśnić. Rozważam rezygnację.",
         "Trzeci raz zgłaszam ten sam problem i wciąż nic. Proszę dzwonić: {phone}",
         "Niemiła obsługa, czuję się zlekceważony. Żądam zwrotu pieniędzy.",
         "Ukryte opłaty w umowie — nie tak się traktuje klientów.",
         "Coś poszło źle z dostawą, a infolinia odsyła mnie od działu do działu."),
        ("Sprawa załatwiona, choć czekałem dłużej, niż się spodziewałem.",
         "Obsługa w porządku, ale aplikacja mogłaby być prostsza.",
         "Nic szczególnego, wszystko działa tak, jak powinno.",
         "Proszę o kontakt telefoniczny pod numerem {phone} w sprawie umowy.",
         "Konsultant pomógł, ale musiałem dwa razy podawać te same dane.",
         "Informacje na stronie są niejasne, ale w końcu się udało."),
        ("Świetna obsługa, konsultant szybko rozwiązał mój problem. Dziękuję!",
         "Pani na czacie była bardzo miła i cierpliwa, wszystko wyjaśniła krok po kroku.",
         "Szybko, sprawnie i bez zbędnych formalności. Polecę znajomym.",
         "Jestem zadowolony, fakturę poprawiono od ręki.",
         "Dziękuję za pomoc, proszę przesłać potwierdzenie na adres {email}.",
         "Bardzo profesjonalne podejście, czuję się doceniony jako klient."),
    ),
    "ru": (
        ("Ждал ответа оператора больше получаса, это безобразие.",
         "На моё письмо не отвечают уже неделю. Мой адрес: {email}",
         "Неправильно начислили плату, и никто не может объяснить почему. Думаю уйти.",
         "Третий раз обращаюсь с одной и той же проблемой. Звоните: {phone}",
         "Грубый оператор, чувствую себя униженным. Требую вернуть деньги.",
         "Скрытые платежи в договоре — так с клиентами не поступают.",
         "Доставку сорвали, а на горячей линии меня переключали пять раз."),
        ("Вопрос решён, но ждать пришлось дольше, чем хотелось бы.",
         "Обслуживание нормальное, но приложение могло бы быть проще.",
         "Ничего особенного, всё работает как должно.",
         "Перезвоните мне, пожалуйста, по номеру {phone}.",
         "Помогли, но пришлось дважды называть одни и те же данные.",
         "Информация на сайте непонятная, но в итоге разобрался."),
        ("Отличный сервис, оператор быстро решил мою проблему. Спасибо!",
         "Консультант в чате был очень вежлив и всё подробно объяснил.",
         "Быстро и без лишней бюрократии. Буду рекомендовать друзьям.",
         "Очень доволен, счёт исправили сразу же.",
         "Спасибо за помощь! Подтверждение пришлите, пожалуйста, на {email}.",
         "Чувствую, что меня ценят как клиента."),
    ),
    "en": (
        ("I waited over half an hour to get through. Unacceptable.",
         "Nobody has answered my e-mail for a week. My address is {email}",
         "I was charged the wrong amount and nobody can explain why. Thinking of leaving.",
         "Third time I report the same problem and it is still not fixed. Call me on {phone}",
         "Rude agent, I felt dismissed. I want a refund.",
         "Hidden fees in the contract - that is no way to treat customers.",
         "The delivery failed and the helpline passed me from team to team."),
        ("Sorted in the end, but it took longer than I expected.",
         "Service was fine, but the app could be simpler.",
         "Nothing special, everything works as it should.",
         "Please call me back on {phone} about my contract.",
         "The agent helped, but I had to give the same details twice.",
         "The website was confusing, but I got there eventually."),
        ("Great service, the agent fixed my problem in minutes. Thank you!",
         "The chat agent was friendly and patient and explained everything step by step.",
         "Quick, easy and no paperwork. I will recommend you to my friends.",
         "Very happy, the invoice was corrected straight away.",
         "Thanks for the help, please send the confirmation to {email}.",
         "I really feel valued as a customer."),
    ),
}
_TEMPLATES = tuple(t for lang in LANGUAGES for group in _COMMENTS[lang] for t in group)
_TEMPLATE_COUNT = np.array([len(g) for lang in LANGUAGES for g in _COMMENTS[lang]])  # per language*3 + group
_TEMPLATE_START = np.concatenate([[0], np.cumsum(_TEMPLATE_COUNT)[:-1]])


def _phones(rng: np.random.Generator, language: np.ndarray) -> pa.Array:
    """Fake phone numbers in the customer's country format (UK: Ofcom's drama range)."""
    n = len(language)

    def digits(width: int) -> pa.Array:
        return pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**width, n)), pa.string()), width=width,
                            padding="0")

    pl = pc.binary_join_element_wise("+48 ", pc.cast(pa.array(rng.integers(500, 900, n)), pa.string()), " ",
                                     digits(3), " ", digits(3), "")
    ru = pc.binary_join_element_wise("+7 9", digits(2), " ", digits(3), "-", digits(2), "-", digits(2), "")
    en = pc.binary_join_element_wise("+44 7700 900", digits(3), "")
    lang = pa.array(language)
    return pc.if_else(pc.equal(lang, 0), pl, pc.if_else(pc.equal(lang, 1), ru, en))


def _comments(rng: np.random.Generator, language: np.ndarray, group: np.ndarray, email: pa.Array) -> pa.Array:
    """A comment per row from the templates of its language and NPS group, personal data filled in."""
    cell = language * 3 + group
    template = _TEMPLATE_START[cell] + np.floor(rng.random(len(cell)) * _TEMPLATE_COUNT[cell]).astype(np.int64)
    phone = _phones(rng, language)
    order = np.argsort(template, kind="stable")
    bounds = np.searchsorted(template[order], np.arange(len(_TEMPLATES) + 1))
    pieces = []
    for t, text in enumerate(_TEMPLATES):
        rows = pa.array(order[bounds[t]:bounds[t + 1]])
        if "{email}" in text or "{phone}" in text:
            field, values = ("{email}", email) if "{email}" in text else ("{phone}", phone)
            before, after = text.split(field)
            pieces.append(pc.binary_join_element_wise(before, values.take(rows), after, ""))
        else:
            pieces.append(pc.take(pa.array([text]), pa.array(np.zeros(len(rows), np.int64))))
    inverse = np.empty(len(order), np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(pieces).take(pa.array(inverse))
