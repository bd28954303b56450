from django.urls import URLPattern, URLResolver, path

from motcua.feedback.views import officials, public

app_name = "feedback"

urlpatterns: list[URLPattern | URLResolver] = [
    # The public: published answers, sending and following feedback.
    path("", public.index, name="index"),
    path("send/", public.send, name="send"),
    path("sent/<str:code>/", public.sent, name="sent"),
    path("answers/<str:code>/", public.answer, name="answer"),
    path("answers/<str:code>/vote/", public.vote, name="vote"),
    path("follow/", public.follow, name="follow"),
    path("follow/<str:code>/", public.follow_detail, name="follow_detail"),
    path("follow/<str:code>/supplement/", public.follow_supplement, name="follow_supplement"),
    path("follow/<str:code>/files/<uuid:attachment_id>/", public.follow_file, name="follow_file"),
    path("mine/", public.mine, name="mine"),
    # Officials of the competent agencies.
    path("work/", officials.queue, name="work"),
    path("work/<str:code>/", officials.detail, name="work_detail"),
    path("work/<str:code>/files/<uuid:attachment_id>/", officials.work_file, name="work_file"),
    path("work/<str:code>/<str:action>/", officials.action, name="work_action"),
]
