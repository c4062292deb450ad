from django.contrib import admin

# The admin's own wording; its favicon and the sign-up warning are in templates/admin/.
admin.site.site_header = "uptime administration"
admin.site.site_title = "uptime admin"
admin.site.index_title = "Monitors, incidents and notifications"
