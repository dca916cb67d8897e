from django.contrib import admin
from django.urls import path

from rendezvous.api.router import api

admin.site.site_header = "Rendezvous"
admin.site.site_title = "Rendezvous admin"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
