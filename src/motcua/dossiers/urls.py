from motcua.dossiers.views import citizen, officials

app_name = "dossiers"
urlpatterns = [*citizen.urlpatterns, *officials.urlpatterns]
