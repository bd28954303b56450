from motcua.dossiers.views import citizen, officials, ratings

app_name = "dossiers"
urlpatterns = [*citizen.urlpatterns, *ratings.urlpatterns, *officials.urlpatterns]
