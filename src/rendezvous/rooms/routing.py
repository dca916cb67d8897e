from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns = [path("ws/join/<str:token>/", RoomConsumer.as_asgi())]
