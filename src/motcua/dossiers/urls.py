from motcua.dossiers.views import citizen, officials, payments, ratings

app_name = "dossiers"
urlpatterns = [*citizen.urlpatterns, *ratings.urlpatterns, *payments.urlpatterns, *officials.urlpatterns]
