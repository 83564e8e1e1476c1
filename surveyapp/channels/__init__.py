"""More ways to answer a round: e-mail invitations with reminders, a kiosk, paper forms.

Every channel keeps the rules of docs/privacy.md: answers in progress travel signed in
the form, nothing identifying is stored with a response, and the response is marked
only with its channel (``response.channel``).
"""
