//! What the lists opened over the message box share ("/" for saved answers, "@" for agents in a note).

use leptos::prelude::*;

/// One choice of such a list, highlighted or not; a click picks it before the message box loses the focus.
#[component]
pub(crate) fn PickerOption(selected: bool, on_pick: Callback<()>, children: Children) -> impl IntoView {
    view! {
        <li
            role="option"
            class="quick-answer"
            aria-selected=selected.to_string()
            on:mousedown=move |ev| {
                ev.prevent_default();
                on_pick.run(());
            }
        >
            {children()}
        </li>
    }
}
