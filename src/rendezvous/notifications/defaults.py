"""Built-in wording of every event in English, Danish, German, Romanian and Spanish.

Kept as Python data (not .po catalogues) because the company edits whole texts, not
sentences: each event's five versions sit side by side, and a test checks that every
event has every language and uses only registered variables. A line whose every
variable is empty (the video line of an in-person booking) is left out when rendered.
"""

from .events import Event

E = Event

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    E.BOOKING_CONFIRMED: {
        "en": (
            "Booking confirmed: [service_name] on [booking_start]",
            """Hello [customer_first_name],

Your booking with [company_name] is confirmed.

What: [service_name] with [staff_name]
When: [booking_start] – [booking_end]
Where: [location]
Video meeting: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

To see, reschedule or cancel your booking: [manage_link]

The calendar invitation is attached.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Booking bekræftet: [service_name] [booking_start]",
            """Hej [customer_first_name]

Din booking hos [company_name] er bekræftet.

Hvad: [service_name] med [staff_name]
Hvornår: [booking_start] – [booking_end]
Hvor: [location]
Videomøde: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Se, flyt eller aflys din booking: [manage_link]

Kalenderinvitationen er vedhæftet.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Buchung bestätigt: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

Ihre Buchung bei [company_name] ist bestätigt.

Was: [service_name] bei [staff_name]
Wann: [booking_start] – [booking_end]
Wo: [location]
Videotermin: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Buchung ansehen, verschieben oder absagen: [manage_link]

Die Kalendereinladung finden Sie im Anhang.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Rezervare confirmată: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

rezervarea dumneavoastră la [company_name] este confirmată.

Ce: [service_name] cu [staff_name]
Când: [booking_start] – [booking_end]
Unde: [location]
Întâlnire video: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Vedeți, reprogramați sau anulați rezervarea: [manage_link]

Invitația pentru calendar este atașată.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Reserva confirmada: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Su reserva en [company_name] está confirmada.

Qué: [service_name] con [staff_name]
Cuándo: [booking_start] – [booking_end]
Dónde: [location]
Videollamada: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Ver, cambiar o cancelar su reserva: [manage_link]

Adjuntamos la invitación de calendario.

Un saludo,
[company_name]""",
        ),
    },
    E.BOOKING_CONFIRMED_STAFF: {
        "en": (
            "New booking: [service_name], [booking_start]",
            """Hello [staff_name],

[customer_first_name] [customer_last_name] has booked [service_name].

When: [booking_start] – [booking_end]
Where: [location]
Video meeting: [online_meeting_provider_link]

The calendar invitation is attached.

[company_name]""",
        ),
        "da": (
            "Ny booking: [service_name], [booking_start]",
            """Hej [staff_name]

[customer_first_name] [customer_last_name] har booket [service_name].

Hvornår: [booking_start] – [booking_end]
Hvor: [location]
Videomøde: [online_meeting_provider_link]

Kalenderinvitationen er vedhæftet.

[company_name]""",
        ),
        "de": (
            "Neue Buchung: [service_name], [booking_start]",
            """Hallo [staff_name],

[customer_first_name] [customer_last_name] hat [service_name] gebucht.

Wann: [booking_start] – [booking_end]
Wo: [location]
Videotermin: [online_meeting_provider_link]

Die Kalendereinladung ist angehängt.

[company_name]""",
        ),
        "ro": (
            "Rezervare nouă: [service_name], [booking_start]",
            """Bună ziua, [staff_name],

[customer_first_name] [customer_last_name] a rezervat [service_name].

Când: [booking_start] – [booking_end]
Unde: [location]
Întâlnire video: [online_meeting_provider_link]

Invitația pentru calendar este atașată.

[company_name]""",
        ),
        "es": (
            "Nueva reserva: [service_name], [booking_start]",
            """Hola, [staff_name]:

[customer_first_name] [customer_last_name] ha reservado [service_name].

Cuándo: [booking_start] – [booking_end]
Dónde: [location]
Videollamada: [online_meeting_provider_link]

Se adjunta la invitación de calendario.

[company_name]""",
        ),
    },
    E.REQUEST_RECEIVED: {
        "en": (
            "We have received your request: [service_name]",
            """Hello [customer_first_name],

Thank you for your request. [company_name] will confirm it shortly; until then the time is reserved for you.

What: [service_name] with [staff_name]
When: [booking_start] – [booking_end]
Where: [location]

To see or cancel your request: [manage_link]

Kind regards,
[company_name]""",
        ),
        "da": (
            "Vi har modtaget din forespørgsel: [service_name]",
            """Hej [customer_first_name]

Tak for din forespørgsel. [company_name] bekræfter den snarest; indtil da er tiden reserveret til dig.

Hvad: [service_name] med [staff_name]
Hvornår: [booking_start] – [booking_end]
Hvor: [location]

Se eller aflys din forespørgsel: [manage_link]

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Wir haben Ihre Anfrage erhalten: [service_name]",
            """Guten Tag [customer_first_name] [customer_last_name],

vielen Dank für Ihre Anfrage. [company_name] bestätigt sie in Kürze; bis dahin ist der Termin für Sie reserviert.

Was: [service_name] bei [staff_name]
Wann: [booking_start] – [booking_end]
Wo: [location]

Anfrage ansehen oder zurückziehen: [manage_link]

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Am primit solicitarea dumneavoastră: [service_name]",
            """Bună ziua, [customer_first_name],

vă mulțumim pentru solicitare. [company_name] o va confirma în curând; până atunci, intervalul este rezervat pentru dumneavoastră.

Ce: [service_name] cu [staff_name]
Când: [booking_start] – [booking_end]
Unde: [location]

Vedeți sau anulați solicitarea: [manage_link]

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Hemos recibido su solicitud: [service_name]",
            """Hola, [customer_first_name]:

Gracias por su solicitud. [company_name] la confirmará en breve; hasta entonces, el horario queda reservado para usted.

Qué: [service_name] con [staff_name]
Cuándo: [booking_start] – [booking_end]
Dónde: [location]

Ver o cancelar su solicitud: [manage_link]

Un saludo,
[company_name]""",
        ),
    },
    E.REQUEST_RECEIVED_STAFF: {
        "en": (
            "Please confirm: [service_name], [booking_start]",
            """Hello [staff_name],

[customer_first_name] [customer_last_name] asks to book [service_name].

When: [booking_start] – [booking_end]
Where: [location]

Please confirm or decline the request in the back office.

[company_name]""",
        ),
        "da": (
            "Bekræft venligst: [service_name], [booking_start]",
            """Hej [staff_name]

[customer_first_name] [customer_last_name] ønsker at booke [service_name].

Hvornår: [booking_start] – [booking_end]
Hvor: [location]

Bekræft eller afvis forespørgslen i backoffice.

[company_name]""",
        ),
        "de": (
            "Bitte bestätigen: [service_name], [booking_start]",
            """Hallo [staff_name],

[customer_first_name] [customer_last_name] möchte [service_name] buchen.

Wann: [booking_start] – [booking_end]
Wo: [location]

Bitte bestätigen Sie die Anfrage im Backoffice oder lehnen Sie sie ab.

[company_name]""",
        ),
        "ro": (
            "Vă rugăm să confirmați: [service_name], [booking_start]",
            """Bună ziua, [staff_name],

[customer_first_name] [customer_last_name] dorește să rezerve [service_name].

Când: [booking_start] – [booking_end]
Unde: [location]

Vă rugăm să confirmați sau să refuzați solicitarea în back office.

[company_name]""",
        ),
        "es": (
            "Pendiente de confirmar: [service_name], [booking_start]",
            """Hola, [staff_name]:

[customer_first_name] [customer_last_name] quiere reservar [service_name].

Cuándo: [booking_start] – [booking_end]
Dónde: [location]

Confirme o rechace la solicitud en el back office.

[company_name]""",
        ),
    },
    E.REQUEST_CONFIRMED: {
        "en": (
            "Your request is confirmed: [service_name] on [booking_start]",
            """Hello [customer_first_name],

Good news: [company_name] has confirmed your booking.

What: [service_name] with [staff_name]
When: [booking_start] – [booking_end]
Where: [location]
Video meeting: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

To see, reschedule or cancel your booking: [manage_link]

The calendar invitation is attached.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Din forespørgsel er bekræftet: [service_name] [booking_start]",
            """Hej [customer_first_name]

Godt nyt: [company_name] har bekræftet din booking.

Hvad: [service_name] med [staff_name]
Hvornår: [booking_start] – [booking_end]
Hvor: [location]
Videomøde: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Se, flyt eller aflys din booking: [manage_link]

Kalenderinvitationen er vedhæftet.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Ihre Anfrage ist bestätigt: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

gute Nachricht: [company_name] hat Ihre Buchung bestätigt.

Was: [service_name] bei [staff_name]
Wann: [booking_start] – [booking_end]
Wo: [location]
Videotermin: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Buchung ansehen, verschieben oder absagen: [manage_link]

Die Kalendereinladung finden Sie im Anhang.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Solicitarea dumneavoastră a fost confirmată: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

vești bune: [company_name] a confirmat rezervarea dumneavoastră.

Ce: [service_name] cu [staff_name]
Când: [booking_start] – [booking_end]
Unde: [location]
Întâlnire video: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Vedeți, reprogramați sau anulați rezervarea: [manage_link]

Invitația pentru calendar este atașată.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Su solicitud está confirmada: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Buenas noticias: [company_name] ha confirmado su reserva.

Qué: [service_name] con [staff_name]
Cuándo: [booking_start] – [booking_end]
Dónde: [location]
Videollamada: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Ver, cambiar o cancelar su reserva: [manage_link]

Adjuntamos la invitación de calendario.

Un saludo,
[company_name]""",
        ),
    },
    E.REQUEST_DECLINED: {
        "en": (
            "Your request could not be confirmed: [service_name]",
            """Hello [customer_first_name],

Unfortunately [company_name] cannot confirm your request for [service_name] on [booking_start]. The time is free again.

[staff_message]

You are welcome to choose another time.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Din forespørgsel kunne ikke bekræftes: [service_name]",
            """Hej [customer_first_name]

Desværre kan [company_name] ikke bekræfte din forespørgsel om [service_name] [booking_start]. Tiden er ledig igen.

[staff_message]

Du er velkommen til at vælge en anden tid.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Ihre Anfrage konnte nicht bestätigt werden: [service_name]",
            """Guten Tag [customer_first_name] [customer_last_name],

leider kann [company_name] Ihre Anfrage für [service_name] am [booking_start] nicht bestätigen. Der Termin ist wieder frei.

[staff_message]

Gerne können Sie einen anderen Termin wählen.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Solicitarea dumneavoastră nu a putut fi confirmată: [service_name]",
            """Bună ziua, [customer_first_name],

din păcate, [company_name] nu poate confirma solicitarea dumneavoastră pentru [service_name] din [booking_start]. Intervalul este din nou liber.

[staff_message]

Vă invităm să alegeți o altă oră.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "No se ha podido confirmar su solicitud: [service_name]",
            """Hola, [customer_first_name]:

Lamentablemente, [company_name] no puede confirmar su solicitud de [service_name] para el [booking_start]. El horario vuelve a estar libre.

[staff_message]

Puede elegir otro horario cuando quiera.

Un saludo,
[company_name]""",
        ),
    },
    E.BOOKING_RESCHEDULED: {
        "en": (
            "Booking moved: [service_name] now on [booking_start]",
            """Hello [customer_first_name],

Your booking with [company_name] has been moved to a new time.

What: [service_name] with [staff_name]
New time: [booking_start] – [booking_end]
Where: [location]
Video meeting: [online_meeting_link]

To see, reschedule or cancel your booking: [manage_link]

The updated calendar invitation is attached.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Booking flyttet: [service_name] nu [booking_start]",
            """Hej [customer_first_name]

Din booking hos [company_name] er flyttet til et nyt tidspunkt.

Hvad: [service_name] med [staff_name]
Nyt tidspunkt: [booking_start] – [booking_end]
Hvor: [location]
Videomøde: [online_meeting_link]

Se, flyt eller aflys din booking: [manage_link]

Den opdaterede kalenderinvitation er vedhæftet.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Termin verschoben: [service_name] jetzt am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

Ihre Buchung bei [company_name] wurde auf einen neuen Termin verschoben.

Was: [service_name] bei [staff_name]
Neuer Termin: [booking_start] – [booking_end]
Wo: [location]
Videotermin: [online_meeting_link]

Buchung ansehen, verschieben oder absagen: [manage_link]

Die aktualisierte Kalendereinladung finden Sie im Anhang.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Rezervare mutată: [service_name], acum [booking_start]",
            """Bună ziua, [customer_first_name],

rezervarea dumneavoastră la [company_name] a fost mutată la o nouă oră.

Ce: [service_name] cu [staff_name]
Noua oră: [booking_start] – [booking_end]
Unde: [location]
Întâlnire video: [online_meeting_link]

Vedeți, reprogramați sau anulați rezervarea: [manage_link]

Invitația actualizată pentru calendar este atașată.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Reserva cambiada: [service_name], ahora el [booking_start]",
            """Hola, [customer_first_name]:

Su reserva en [company_name] se ha cambiado a un nuevo horario.

Qué: [service_name] con [staff_name]
Nuevo horario: [booking_start] – [booking_end]
Dónde: [location]
Videollamada: [online_meeting_link]

Ver, cambiar o cancelar su reserva: [manage_link]

Adjuntamos la invitación de calendario actualizada.

Un saludo,
[company_name]""",
        ),
    },
    E.BOOKING_RESCHEDULED_STAFF: {
        "en": (
            "Booking moved: [service_name], now [booking_start]",
            """Hello [staff_name],

The booking of [customer_first_name] [customer_last_name] for [service_name] has been moved.

New time: [booking_start] – [booking_end]
Where: [location]

The updated calendar invitation is attached.

[company_name]""",
        ),
        "da": (
            "Booking flyttet: [service_name], nu [booking_start]",
            """Hej [staff_name]

Bookingen fra [customer_first_name] [customer_last_name] af [service_name] er flyttet.

Nyt tidspunkt: [booking_start] – [booking_end]
Hvor: [location]

Den opdaterede kalenderinvitation er vedhæftet.

[company_name]""",
        ),
        "de": (
            "Termin verschoben: [service_name], jetzt [booking_start]",
            """Hallo [staff_name],

die Buchung von [customer_first_name] [customer_last_name] für [service_name] wurde verschoben.

Neuer Termin: [booking_start] – [booking_end]
Wo: [location]

Die aktualisierte Kalendereinladung ist angehängt.

[company_name]""",
        ),
        "ro": (
            "Rezervare mutată: [service_name], acum [booking_start]",
            """Bună ziua, [staff_name],

rezervarea clientului [customer_first_name] [customer_last_name] pentru [service_name] a fost mutată.

Noua oră: [booking_start] – [booking_end]
Unde: [location]

Invitația actualizată pentru calendar este atașată.

[company_name]""",
        ),
        "es": (
            "Reserva cambiada: [service_name], ahora [booking_start]",
            """Hola, [staff_name]:

La reserva de [customer_first_name] [customer_last_name] para [service_name] se ha cambiado.

Nuevo horario: [booking_start] – [booking_end]
Dónde: [location]

Se adjunta la invitación de calendario actualizada.

[company_name]""",
        ),
    },
    E.CANCELLED_BY_CUSTOMER: {
        "en": (
            "Cancellation confirmed: [service_name] on [booking_start]",
            """Hello [customer_first_name],

You have cancelled your booking of [service_name] on [booking_start]. We hope to see you another time.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Aflysning bekræftet: [service_name] [booking_start]",
            """Hej [customer_first_name]

Du har aflyst din booking af [service_name] [booking_start]. Vi håber at se dig en anden gang.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Absage bestätigt: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

Sie haben Ihre Buchung für [service_name] am [booking_start] abgesagt. Wir freuen uns, Sie ein andermal zu sehen.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Anulare confirmată: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

ați anulat rezervarea pentru [service_name] din [booking_start]. Sperăm să vă revedem cu altă ocazie.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Cancelación confirmada: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Ha cancelado su reserva de [service_name] del [booking_start]. Esperamos verle en otra ocasión.

Un saludo,
[company_name]""",
        ),
    },
    E.CANCELLED_BY_STAFF: {
        "en": (
            "Your booking has been cancelled: [service_name] on [booking_start]",
            """Hello [customer_first_name],

We are sorry: [company_name] has had to cancel your booking of [service_name] on [booking_start].

You are welcome to book another time.

Kind regards,
[company_name]""",
        ),
        "da": (
            "Din booking er aflyst: [service_name] [booking_start]",
            """Hej [customer_first_name]

Vi beklager: [company_name] har måttet aflyse din booking af [service_name] [booking_start].

Du er velkommen til at booke en anden tid.

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Ihre Buchung wurde abgesagt: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

es tut uns leid: [company_name] musste Ihre Buchung für [service_name] am [booking_start] absagen.

Gerne können Sie einen anderen Termin buchen.

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Rezervarea dumneavoastră a fost anulată: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

ne pare rău: [company_name] a trebuit să anuleze rezervarea dumneavoastră pentru [service_name] din [booking_start].

Vă invităm să rezervați o altă oră.

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Su reserva ha sido cancelada: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Lo sentimos: [company_name] ha tenido que cancelar su reserva de [service_name] del [booking_start].

Puede reservar otro horario cuando quiera.

Un saludo,
[company_name]""",
        ),
    },
    E.BOOKING_CANCELLED_STAFF: {
        "en": (
            "Cancelled: [service_name], [booking_start]",
            """Hello [staff_name],

The booking of [customer_first_name] [customer_last_name] for [service_name] on [booking_start] has been cancelled. The time is free again.

[company_name]""",
        ),
        "da": (
            "Aflyst: [service_name], [booking_start]",
            """Hej [staff_name]

Bookingen fra [customer_first_name] [customer_last_name] af [service_name] [booking_start] er aflyst. Tiden er ledig igen.

[company_name]""",
        ),
        "de": (
            "Abgesagt: [service_name], [booking_start]",
            """Hallo [staff_name],

die Buchung von [customer_first_name] [customer_last_name] für [service_name] am [booking_start] wurde abgesagt. Der Termin ist wieder frei.

[company_name]""",
        ),
        "ro": (
            "Anulată: [service_name], [booking_start]",
            """Bună ziua, [staff_name],

rezervarea clientului [customer_first_name] [customer_last_name] pentru [service_name] din [booking_start] a fost anulată. Intervalul este din nou liber.

[company_name]""",
        ),
        "es": (
            "Cancelada: [service_name], [booking_start]",
            """Hola, [staff_name]:

La reserva de [customer_first_name] [customer_last_name] para [service_name] del [booking_start] se ha cancelado. El horario vuelve a estar libre.

[company_name]""",
        ),
    },
    E.REMINDER: {
        "en": (
            "Reminder: [service_name] on [booking_start]",
            """Hello [customer_first_name],

This is a reminder of your booking with [company_name].

What: [service_name] with [staff_name]
When: [booking_start] – [booking_end]
Where: [location]
Video meeting: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

To reschedule or cancel: [manage_link]

See you soon,
[company_name]""",
        ),
        "da": (
            "Påmindelse: [service_name] [booking_start]",
            """Hej [customer_first_name]

Dette er en påmindelse om din booking hos [company_name].

Hvad: [service_name] med [staff_name]
Hvornår: [booking_start] – [booking_end]
Hvor: [location]
Videomøde: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Flyt eller aflys: [manage_link]

Vi ses,
[company_name]""",
        ),
        "de": (
            "Erinnerung: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

wir erinnern Sie an Ihre Buchung bei [company_name].

Was: [service_name] bei [staff_name]
Wann: [booking_start] – [booking_end]
Wo: [location]
Videotermin: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Verschieben oder absagen: [manage_link]

Bis bald
[company_name]""",
        ),
        "ro": (
            "Memento: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

vă reamintim de rezervarea dumneavoastră la [company_name].

Ce: [service_name] cu [staff_name]
Când: [booking_start] – [booking_end]
Unde: [location]
Întâlnire video: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Reprogramați sau anulați: [manage_link]

Pe curând,
[company_name]""",
        ),
        "es": (
            "Recordatorio: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Le recordamos su reserva en [company_name].

Qué: [service_name] con [staff_name]
Cuándo: [booking_start] – [booking_end]
Dónde: [location]
Videollamada: [online_meeting_link]
[online_meeting_instructions]

[payment_instructions]

Cambiar o cancelar: [manage_link]

Hasta pronto,
[company_name]""",
        ),
    },
    E.PAYMENT_CONFIRMED: {
        "en": (
            "Payment received: [service_name] on [booking_start]",
            """Hello [customer_first_name],

Thank you, we have received your payment for [service_name] on [booking_start].

[receipt]

Video meeting: [online_meeting_link]
[online_meeting_instructions]

Your booking: [manage_link]

Kind regards,
[company_name]""",
        ),
        "da": (
            "Betaling modtaget: [service_name] [booking_start]",
            """Hej [customer_first_name]

Tak, vi har modtaget din betaling for [service_name] [booking_start].

[receipt]

Videomøde: [online_meeting_link]
[online_meeting_instructions]

Din booking: [manage_link]

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Zahlung erhalten: [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

vielen Dank, wir haben Ihre Zahlung für [service_name] am [booking_start] erhalten.

[receipt]

Videotermin: [online_meeting_link]
[online_meeting_instructions]

Ihre Buchung: [manage_link]

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Plată primită: [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

vă mulțumim, am primit plata pentru [service_name] din [booking_start].

[receipt]

Întâlnire video: [online_meeting_link]
[online_meeting_instructions]

Rezervarea dumneavoastră: [manage_link]

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Pago recibido: [service_name], [booking_start]",
            """Hola, [customer_first_name]:

Gracias, hemos recibido su pago de [service_name] del [booking_start].

[receipt]

Videollamada: [online_meeting_link]
[online_meeting_instructions]

Su reserva: [manage_link]

Un saludo,
[company_name]""",
        ),
    },
    E.MEETING_LINK_ADDED: {
        "en": (
            "Your video link for [service_name] on [booking_start]",
            """Hello [customer_first_name],

The video meeting for your booking is ready.

When: [booking_start] – [booking_end]
Join: [online_meeting_link]
[online_meeting_instructions]

Your booking: [manage_link]

Kind regards,
[company_name]""",
        ),
        "da": (
            "Dit videolink til [service_name] [booking_start]",
            """Hej [customer_first_name]

Videomødet til din booking er klar.

Hvornår: [booking_start] – [booking_end]
Deltag: [online_meeting_link]
[online_meeting_instructions]

Din booking: [manage_link]

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "Ihr Videolink für [service_name] am [booking_start]",
            """Guten Tag [customer_first_name] [customer_last_name],

der Videotermin für Ihre Buchung ist bereit.

Wann: [booking_start] – [booking_end]
Teilnehmen: [online_meeting_link]
[online_meeting_instructions]

Ihre Buchung: [manage_link]

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "Linkul video pentru [service_name], [booking_start]",
            """Bună ziua, [customer_first_name],

întâlnirea video pentru rezervarea dumneavoastră este pregătită.

Când: [booking_start] – [booking_end]
Participați: [online_meeting_link]
[online_meeting_instructions]

Rezervarea dumneavoastră: [manage_link]

Cu stimă,
[company_name]""",
        ),
        "es": (
            "Su enlace de vídeo para [service_name], [booking_start]",
            """Hola, [customer_first_name]:

La videollamada de su reserva está lista.

Cuándo: [booking_start] – [booking_end]
Unirse: [online_meeting_link]
[online_meeting_instructions]

Su reserva: [manage_link]

Un saludo,
[company_name]""",
        ),
    },
    E.MEETING_REMOVED: {
        "en": (
            "[service_name] on [booking_start] is now in person",
            """Hello [customer_first_name],

Your booking is no longer a video meeting: we will see you in person. The video link you received for it no longer works.

When: [booking_start] – [booking_end]
Where: [location]

Your booking: [manage_link]

Kind regards,
[company_name]""",
        ),
        "da": (
            "[service_name] [booking_start] foregår nu ved fremmøde",
            """Hej [customer_first_name]

Din booking er ikke længere et videomøde: vi ses ved fremmøde. Det videolink, du fik til den, virker ikke længere.

Hvornår: [booking_start] – [booking_end]
Hvor: [location]

Din booking: [manage_link]

Venlig hilsen
[company_name]""",
        ),
        "de": (
            "[service_name] am [booking_start] findet jetzt vor Ort statt",
            """Guten Tag [customer_first_name] [customer_last_name],

Ihre Buchung ist kein Videotermin mehr: Wir sehen uns vor Ort. Der Videolink, den Sie dafür erhalten haben, funktioniert nicht mehr.

Wann: [booking_start] – [booking_end]
Wo: [location]

Ihre Buchung: [manage_link]

Mit freundlichen Grüßen
[company_name]""",
        ),
        "ro": (
            "[service_name], [booking_start], are loc acum cu prezență fizică",
            """Bună ziua, [customer_first_name],

rezervarea dumneavoastră nu mai este o întâlnire video: vă așteptăm la fața locului. Linkul video primit pentru ea nu mai funcționează.

Când: [booking_start] – [booking_end]
Unde: [location]

Rezervarea dumneavoastră: [manage_link]

Cu stimă,
[company_name]""",
        ),
        "es": (
            "[service_name], [booking_start], ahora es presencial",
            """Hola, [customer_first_name]:

Su reserva ya no es una videollamada: le esperamos en persona. El enlace de vídeo que recibió para ella ya no funciona.

Cuándo: [booking_start] – [booking_end]
Dónde: [location]

Su reserva: [manage_link]

Un saludo,
[company_name]""",
        ),
    },
    E.MEETING_LINK_MISSING: {
        "en": (
            "Meeting link still missing: [service_name], [booking_start]",
            """Hello [staff_name],

The online booking of [customer_first_name] [customer_last_name] for [service_name] on [booking_start] still has no meeting link. Please add one in the back office so that the customer can join.

[company_name]""",
        ),
        "da": (
            "Mødelink mangler stadig: [service_name], [booking_start]",
            """Hej [staff_name]

Onlinebookingen fra [customer_first_name] [customer_last_name] af [service_name] [booking_start] har stadig intet mødelink. Tilføj et i backoffice, så kunden kan deltage.

[company_name]""",
        ),
        "de": (
            "Meeting-Link fehlt noch: [service_name], [booking_start]",
            """Hallo [staff_name],

die Online-Buchung von [customer_first_name] [customer_last_name] für [service_name] am [booking_start] hat noch keinen Meeting-Link. Bitte tragen Sie im Backoffice einen ein, damit die Kundin oder der Kunde teilnehmen kann.

[company_name]""",
        ),
        "ro": (
            "Linkul întâlnirii lipsește încă: [service_name], [booking_start]",
            """Bună ziua, [staff_name],

rezervarea online a clientului [customer_first_name] [customer_last_name] pentru [service_name] din [booking_start] nu are încă un link de întâlnire. Vă rugăm să adăugați unul în back office, ca clientul să se poată conecta.

[company_name]""",
        ),
        "es": (
            "Todavía falta el enlace de la reunión: [service_name], [booking_start]",
            """Hola, [staff_name]:

La reserva online de [customer_first_name] [customer_last_name] para [service_name] del [booking_start] todavía no tiene enlace de reunión. Añada uno en el back office para que el cliente pueda unirse.

[company_name]""",
        ),
    },
    E.MEETING_CREATION_FAILING: {
        "en": (
            "Video meeting could not be created: [service_name], [booking_start]",
            """Hello [staff_name],

The video meeting for the booking of [customer_first_name] [customer_last_name] ([service_name], [booking_start]) could not be created, and no further attempts will be made. Please add a link by hand in the back office. If the video account's connection stopped working, connect it again in the back office (Meeting accounts): its failed meetings are then created again by themselves.

[company_name]""",
        ),
        "da": (
            "Videomødet kunne ikke oprettes: [service_name], [booking_start]",
            """Hej [staff_name]

Videomødet til bookingen fra [customer_first_name] [customer_last_name] ([service_name], [booking_start]) kunne ikke oprettes, og der gøres ikke flere forsøg. Tilføj venligst et link manuelt i backoffice. Hvis forbindelsen til videokontoen er holdt op med at virke, så forbind den igen i backoffice (Mødekonti): kontoens mislykkede møder oprettes så igen af sig selv.

[company_name]""",
        ),
        "de": (
            "Videotermin konnte nicht angelegt werden: [service_name], [booking_start]",
            """Hallo [staff_name],

der Videotermin für die Buchung von [customer_first_name] [customer_last_name] ([service_name], [booking_start]) konnte nicht angelegt werden, und es folgen keine weiteren Versuche. Bitte tragen Sie im Backoffice einen Link von Hand ein. Funktioniert die Verbindung des Videokontos nicht mehr, verbinden Sie es im Backoffice erneut (Besprechungskonten): seine fehlgeschlagenen Termine werden dann von selbst neu angelegt.

[company_name]""",
        ),
        "ro": (
            "Întâlnirea video nu a putut fi creată: [service_name], [booking_start]",
            """Bună ziua, [staff_name],

întâlnirea video pentru rezervarea clientului [customer_first_name] [customer_last_name] ([service_name], [booking_start]) nu a putut fi creată și nu se mai fac alte încercări. Vă rugăm să adăugați manual un link în back office. Dacă legătura contului video nu mai funcționează, conectați-l din nou în back office (Conturi de întâlniri): întâlnirile eșuate ale contului vor fi apoi create din nou automat.

[company_name]""",
        ),
        "es": (
            "No se ha podido crear la videollamada: [service_name], [booking_start]",
            """Hola, [staff_name]:

La videollamada de la reserva de [customer_first_name] [customer_last_name] ([service_name], [booking_start]) no se ha podido crear y no se harán más intentos. Añada un enlace a mano en el back office. Si la conexión de la cuenta de vídeo ha dejado de funcionar, vuelva a conectarla en el back office (Cuentas de reuniones): sus reuniones fallidas se crearán de nuevo por sí solas.

[company_name]""",
        ),
    },
    E.SIGN_IN_LINK: {
        "en": (
            "Your sign-in link for [company_name]",
            """Hello,

Here is your link to see your bookings with [company_name]:

[sign_in_link]

The link works once and for a short time. If you did not ask for it, you can ignore this email.

[company_name]""",
        ),
        "da": (
            "Dit login-link til [company_name]",
            """Hej

Her er dit link til at se dine bookinger hos [company_name]:

[sign_in_link]

Linket virker én gang og kun i kort tid. Hvis du ikke har bedt om det, kan du se bort fra denne e-mail.

[company_name]""",
        ),
        "de": (
            "Ihr Anmeldelink für [company_name]",
            """Guten Tag,

hier ist Ihr Link zu Ihren Buchungen bei [company_name]:

[sign_in_link]

Der Link funktioniert einmal und nur kurze Zeit. Falls Sie ihn nicht angefordert haben, können Sie diese E-Mail ignorieren.

[company_name]""",
        ),
        "ro": (
            "Linkul de autentificare pentru [company_name]",
            """Bună ziua,

iată linkul pentru a vedea rezervările dumneavoastră la [company_name]:

[sign_in_link]

Linkul funcționează o singură dată și pentru scurt timp. Dacă nu l-ați solicitat, puteți ignora acest e-mail.

[company_name]""",
        ),
        "es": (
            "Su enlace de acceso a [company_name]",
            """Hola:

Este es su enlace para ver sus reservas en [company_name]:

[sign_in_link]

El enlace funciona una sola vez y durante poco tiempo. Si no lo ha solicitado, puede ignorar este correo.

[company_name]""",
        ),
    },
}

LANGUAGES = ("en", "da", "de", "ro", "es")


def default_template(event: str, language: str) -> tuple[str, str]:
    """The built-in (subject, body); English where the language has none."""
    versions = DEFAULTS[event]
    return versions.get(language) or versions["en"]
