"""The back office's settings (/office/settings/): what a business sets up itself.

business.py: company and booking rules, locations and resources, services and classes.
team.py: staff members, their hours, time off and date exceptions, invitations.
meetings.py: online meetings: the switch, the join window, provider accounts, who
hosts each staff member's meetings, and a member's own video account.
emails.py: the email templates (editor, variable picker, preview, test) and the outbox.
payments.py: the payment methods, the bank account and Stripe keys, passes on sale,
and the bank statement import.
sharing.py: links, embed snippets, QR codes and a live preview of every booking page.
access.py: the company's users and the API tokens of technical users.
Each screen is a thin view over the companies, catalog and availability domain
functions (the same ones the API and the admin call), for admins only
(access_manage_catalog), unless a screen says otherwise.
"""
