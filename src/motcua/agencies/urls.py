from django.urls import path

from motcua.agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    # By electronic code (000.00.00.G22); the Government, which has no code, by the word "government" or its id.
    path("<str:code>/", views.organisation_detail, name="detail"),
]
