"""URLs of the battle map, its wall screen, the roadmap and the public page."""

from django.urls import path

from duban.battlemap import views

urlpatterns = [
    path("battlemap/", views.battlemap, name="battlemap"),
    path("battlemap/wall/", views.battlemap_wall, name="battlemap-wall"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("public/<int:plan_id>/", views.public_plan, name="public-plan"),
]
