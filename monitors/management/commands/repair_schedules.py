from django.core.management.base import BaseCommand

from monitors.schedule import repair_schedules


class Command(BaseCommand):
    help = "Verify that every monitor has exactly one up-to-date PeriodicTask, and repair it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report problems without fixing them."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        problems = repair_schedules(fix=not dry_run)
        for line in problems:
            self.stdout.write(line)
        if problems:
            verb = "found" if dry_run else "fixed"
            self.stdout.write(self.style.WARNING(f"{len(problems)} problem(s) {verb}."))
        else:
            self.stdout.write(self.style.SUCCESS("All monitor schedules are in order."))
