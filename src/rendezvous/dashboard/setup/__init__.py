"""The back office's settings (/office/settings/): what a business sets up itself.

business.py: company and booking rules, locations and resources, services and classes.
team.py: staff members, their hours, time off and date exceptions, invitations.
Each screen is a thin view over the companies, catalog and availability domain
functions (the same ones the API and the admin call), for admins only
(access_manage_catalog), unless a screen says otherwise.
"""
