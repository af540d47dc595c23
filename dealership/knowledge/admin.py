from django.contrib import admin
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .markdown import render_markdown
from .models import Article
from .services import article_save


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "audience", "language", "published", "updated_at"]
    list_filter = ["category", "audience", "language", "published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["updated_at", "preview"]
    fields = [
        "title",
        "slug",
        "language",
        "category",
        "audience",
        "published",
        "body",
        "preview",
        "updated_at",
    ]
    actions = ["publish", "unpublish"]

    @admin.display(description=_("Preview (as saved)"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return _("Save to see a preview.")
        # render_markdown returns sanitised HTML (markdown-it without raw HTML, then nh3).
        html = render_markdown(obj.body)
        return mark_safe(f'<div class="knowledge-preview">{html}</div>')  # noqa: S308  # nosec B308 B703

    def save_model(self, request, obj, form, change):
        article_save(article=obj)

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request, queryset):
        queryset.update(published=True)

    @admin.action(description=_("Unpublish the selected articles"))
    def unpublish(self, request, queryset):
        queryset.update(published=False)
