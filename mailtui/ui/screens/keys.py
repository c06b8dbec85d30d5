"""The main screen's keys: each registry action (ui/keymap.py) handed to the component
that does the work. A mixin of MainScreen, kept apart so the screen's module stays
about layout and service events; every method here is one line of routing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.app import MailApp
    from mailtui.ui.attaching import Attaching
    from mailtui.ui.commanding import Commands
    from mailtui.ui.composing import Composer
    from mailtui.ui.exporting import Exporting
    from mailtui.ui.filtering import Filter
    from mailtui.ui.folders import Folders
    from mailtui.ui.invites import Invites
    from mailtui.ui.listing import Listing
    from mailtui.ui.navigation import Navigation
    from mailtui.ui.outgoing import Outbox
    from mailtui.ui.previewing import Previews
    from mailtui.ui.reading import Reading
    from mailtui.ui.search import Search
    from mailtui.ui.triage import Triage
    from mailtui.ui.unsubscribing import Unsubscribing
    from mailtui.ui.widgets.folder_tree import FolderTree
    from mailtui.ui.widgets.message_list import MessageList
    from mailtui.ui.widgets.reader import Reader


class KeyActions:
    """`action_<name>` for every registry action (Textual looks them up by name)."""

    listing: Listing
    navigation: Navigation
    search: Search
    filter: Filter
    triage: Triage
    reading: Reading
    composer: Composer
    outbox: Outbox
    previews: Previews
    folders: Folders
    commands: Commands
    exporting: Exporting
    attaching: Attaching
    invites: Invites
    unsubscribing: Unsubscribing

    if TYPE_CHECKING:
        folder: str | None

        @property
        def mail(self) -> MailApp: ...

        @property
        def service(self) -> SyncService: ...

        @property
        def messages(self) -> MessageList: ...

        @property
        def reader(self) -> Reader: ...

        @property
        def folder_tree(self) -> FolderTree: ...

        @property
        def app(self) -> MailApp: ...

        def has_class(self, *names: str) -> bool: ...

        def notify(self, message: str, **kwargs: object) -> None: ...

    def action_cursor_down(self) -> None:
        self.navigation.step(1)

    def action_cursor_up(self) -> None:
        self.navigation.step(-1)

    def action_page_down(self) -> None:
        self.navigation.page(1)

    def action_page_up(self) -> None:
        self.navigation.page(-1)

    def action_first(self) -> None:
        self.navigation.end(last=False)

    def action_last(self) -> None:
        self.navigation.end(last=True)

    def action_next_unread(self) -> None:
        self.navigation.unread(1)

    def action_prev_unread(self) -> None:
        self.navigation.unread(-1)

    def action_focus_next_pane(self) -> None:
        self.navigation.cycle_focus(1)

    def action_focus_prev_pane(self) -> None:
        self.navigation.cycle_focus(-1)

    def action_go_folder(self) -> None:
        self.navigation.go_folder()

    def action_toggle_folders(self) -> None:
        self.navigation.toggle_folders()

    def action_toggle_preview(self) -> None:
        self.previews.toggle()

    def action_visual(self) -> None:
        self.navigation.visual()

    def action_select_down(self) -> None:
        self.navigation.extend(1)

    def action_select_up(self) -> None:
        self.navigation.extend(-1)

    def action_select_toggle(self) -> None:
        self.navigation.select_toggle()

    def action_select_all(self) -> None:
        self.navigation.select_all()

    def action_clear(self) -> None:
        """escape: leave full screen, else clear the selection, else the search, else the
        filter — one layer a press, so the filter survives clearing a selection."""
        if self.has_class("-zoom"):
            self.reading.zoom()
        elif self.navigation.clear_selection():
            return
        elif self.search.query:
            self.search.clear()
        else:
            self.filter.clear()

    def action_filter(self) -> None:
        self.filter.ask()

    def action_search(self) -> None:
        self.search.ask()

    def action_search_next(self) -> None:
        self.search.next(1)

    def action_search_prev(self) -> None:
        self.search.next(-1)

    def action_open(self) -> None:
        self.reading.open()

    def action_page(self) -> None:
        self.reading.page()

    def action_zoom(self) -> None:
        self.reading.zoom()

    def action_toggle_quotes(self) -> None:
        self.reading.toggle_quotes()

    def action_toggle_html(self) -> None:
        self.reading.toggle_html()

    def action_links(self) -> None:
        self.reading.links()

    def action_attachments(self) -> None:
        self.attaching.menu()

    def action_delete(self) -> None:
        self.triage.delete()

    def action_archive(self) -> None:
        self.triage.archive()

    def action_junk(self) -> None:
        self.triage.junk()

    def action_mute(self) -> None:
        self.triage.mute()

    def action_move(self) -> None:
        self.triage.move()

    def action_copy(self) -> None:
        self.triage.copy()

    def action_flag(self) -> None:
        self.triage.flag()

    def action_toggle_read(self) -> None:
        self.triage.toggle_read()

    def action_label(self) -> None:
        self.triage.label()

    def action_undo(self) -> None:
        if self.outbox.undoable:  # a message just sent, in its undo window
            self.composer.undo_send()
        else:
            self.triage.undo()

    def action_reply(self) -> None:
        self.composer.start("reply")

    def action_reply_all(self) -> None:
        self.composer.start("reply_all")

    def action_forward(self) -> None:
        self.composer.start("forward")

    def action_forward_attached(self) -> None:
        self.composer.start("forward_attached")

    def action_compose(self) -> None:
        self.composer.start("new")

    def action_recall(self) -> None:
        self.composer.start("recall")

    def action_outbox(self) -> None:
        from mailtui.ui.screens.outbox import OutboxScreen

        self.outbox.setup()
        self.app.push_screen(OutboxScreen(self))

    def action_conversation(self) -> None:
        from mailtui.ui.screens.conversation import ConversationScreen

        uid = self.messages.cursor_uid
        if uid is None or self.folder is None:
            return
        reader = self.reader
        self.app.push_screen(
            ConversationScreen(
                self.service,
                self.mail.bridge,
                self.folder,
                uid,
                clock=reader.clock,
                palette=reader.palette,
                prefer=self.reading.prefer,
                secure=self.reading.secure_reading(self.account),
                answer=lambda mode, ref: self.composer.start(mode, target=ref),
            )
        )

    def action_import_key(self) -> None:
        self.reading.import_key()

    def action_unsubscribe(self) -> None:
        self.unsubscribing.start()

    def action_invite(self) -> None:
        self.invites.ask()

    def action_pipe(self) -> None:
        self.exporting.ask_pipe()

    def action_save(self) -> None:
        self.exporting.ask_save()

    def action_source(self) -> None:
        self.commands.run("source")

    def action_headers(self) -> None:
        self.commands.run("headers")

    def action_shrink_list(self) -> None:
        self.navigation.resize_split(-1)

    def action_grow_list(self) -> None:
        self.navigation.resize_split(1)

    def action_toggle_threads(self) -> None:
        self.listing.toggle_threads()

    def action_toggle_thread(self) -> None:
        self.listing.toggle_thread()

    def action_sort(self) -> None:
        self.listing.sort()

    def action_reverse_sort(self) -> None:
        self.listing.reverse_sort()

    def action_refresh(self) -> None:
        self.listing.refresh()

    def action_help(self) -> None:
        self.mail.action_show_keys()

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_command_line(self) -> None:
        self.commands.ask()

    def action_key_sequence(self, first: str) -> None:
        """The first key of a `[ui.keys]` sequence bound to a command line."""
        from mailtui.ui.keymap import ACTIONS, sequence_state
        from mailtui.ui.screens.command import KeySequence

        lines = self.mail.keymap.commands
        line, longer = sequence_state(lines, (first,))
        if line is not None and not longer:
            self.commands.run(line)
            return

        def done(result: tuple[str, tuple[str, ...]] | None) -> None:
            if result is None:
                return
            kind, values = result
            if kind == "line":
                self.commands.run(values[0])
                return
            alone = next(
                (a.name for a in ACTIONS if values[0] in self.mail.keymap.keys(a.name)), None
            )
            if alone is not None:
                self.run_worker(self.mail.run_main_action(alone), group="keys")
            for key in values[1:]:
                self.app.simulate_key(key)

        self.app.push_screen(KeySequence(lines, (first,)), done)

    def action_mark_folder_read(self) -> None:
        self.folders.mark_read()

    def action_folder_create(self) -> None:
        self.folders.ask_create()

    def action_folder_rename(self) -> None:
        self.folders.ask_rename()

    def action_folder_delete(self) -> None:
        self.folders.ask_delete()

    def action_folder_subscribe(self) -> None:
        self.folders.toggle_subscription()

    def action_toggle_subscribed(self) -> None:
        tree = self.folder_tree
        tree.show_subscribed_only(not tree.subscribed_only)
        self.mail.save_state({"subscribed_only": tree.subscribed_only})
        shown = "subscribed folders only" if tree.subscribed_only else "every folder"
        self.notify(f"The tree shows {shown}", timeout=2, markup=False)

    def action_change_theme(self) -> None:
        self.app.action_change_theme()

    def action_quit(self) -> None:
        self.outbox.before_quit(lambda: self.app.exit(0))  # a message in its undo window first
