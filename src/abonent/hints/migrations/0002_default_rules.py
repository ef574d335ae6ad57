"""Default hint rules; staff change, switch off or add rules in the admin afterwards."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "Подача ресурса приостановлена",
        "condition": "account_suspended",
        "parameters": {},
        "text": "Подача ресурса по этому счёту приостановлена. Позвоните в контакт-центр: подскажем, "
        "как возобновить.",
        "text_en": "Supply on this account is suspended. Call the contact center to find out how to resume it.",
        "tone": "error",
        "priority": 5,
    },
    {
        "name": "Счёт не оплачен в срок",
        "condition": "balance_overdue",
        "parameters": {},
        "text": "Не оплачено {amount}, срок оплаты был {due_on}. Оплатите счёт или позвоните нам, если уже "
        "оплатили.",
        "text_en": "{amount} is unpaid; it was due on {due_on}. Please pay, or call us if you already have.",
        "tone": "error",
        "priority": 8,
    },
    {
        "name": "Срок оплаты через 5 дней",
        "condition": "bill_due_within",
        "parameters": {"days": 5},
        "text": "Оплатите {amount} до {due_on}.",
        "text_en": "Please pay {amount} by {due_on}.",
        "tone": "warning",
        "priority": 15,
    },
    {
        "name": "Поверка счётчика просрочена",
        "condition": "meter_verification_expired",
        "parameters": {},
        "text": "Срок поверки счётчика {meter} истёк {date}. Пока счётчик не поверен, его показания не "
        "принимаются и начисление идёт по среднему, а затем по нормативу. Закажите поверку.",
        "text_en": "The verification of meter {meter} expired on {date}. Until it is verified, its readings "
        "are not accepted and charges follow the average, then the norm. Book a verification.",
        "tone": "error",
        "priority": 10,
    },
    {
        "name": "Приём показаний закрывается через 2 дня",
        "condition": "readings_window_closes_within",
        "parameters": {"days": 2},
        "text": "Передайте показания счётчиков до {closes_on} включительно — осталось {days_left_words}.",
        "text_en": "Submit your meter readings by {closes_on} — {days_left_words} left.",
        "tone": "warning",
        "priority": 20,
        "action_url_name": "readings:submit",
        "action_label": "Передать показания",
        "action_label_en": "Submit readings",
    },
    {
        "name": "Поверка счётчика заканчивается в ближайшие 2 месяца",
        "condition": "meter_verification_expires_within",
        "parameters": {"days": 60},
        "text": "Срок поверки счётчика {meter} заканчивается {date}. Закажите поверку заранее, чтобы "
        "показания принимались без перерыва.",
        "text_en": "The verification of meter {meter} ends on {date}. Book it in advance so that its "
        "readings are accepted without a break.",
        "tone": "warning",
        "priority": 30,
    },
    {
        "name": "Нет адреса электронной почты",
        "condition": "no_email_contact",
        "parameters": {},
        "text": "Укажите адрес электронной почты — на него придут счета и важные уведомления.",
        "text_en": "Add an e-mail address to receive bills and important notices.",
        "tone": "info",
        "priority": 150,
        "action_url_name": "portal:change_email",
        "action_label": "Указать почту",
        "action_label_en": "Add e-mail",
    },
    {
        "name": "Можно перейти на электронные счета",
        "condition": "paper_bill_enabled",
        "parameters": {},
        "text": "Можно получать счета в личном кабинете и на почту вместо бумажных: они приходят быстрее "
        "и не теряются.",
        "text_en": "You can get bills in the cabinet and by e-mail instead of paper: faster, and never lost.",
        "tone": "info",
        "priority": 200,
        "action_url_name": "portal:account_profile#paper-bill",
        "action_label": "Перейти на электронные счета",
        "action_label_en": "Switch to e-bills",
    },
]


def add_default_rules(apps, schema_editor):
    HintRule = apps.get_model("hints", "HintRule")
    for rule in DEFAULT_RULES:
        HintRule.objects.get_or_create(name=rule["name"], defaults=rule)


def remove_default_rules(apps, schema_editor):
    HintRule = apps.get_model("hints", "HintRule")
    HintRule.objects.filter(name__in=[rule["name"] for rule in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("hints", "0001_initial")]

    operations = [migrations.RunPython(add_default_rules, remove_default_rules)]
