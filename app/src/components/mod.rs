// Leptos' `#[component]` gives each component's props a `pub` builder, whatever the component's own visibility.
#![expect(unreachable_pub, reason = "the props builders #[component] generates are pub")]

pub(crate) mod contacts;
pub(crate) mod conversation;
pub(crate) mod conversations;
pub(crate) mod files;
pub(crate) mod label_chips;
pub(crate) mod loaded_list;
pub(crate) mod media;
pub(crate) mod mentions;
pub(crate) mod notifier;
pub(crate) mod number_bar;
pub(crate) mod options_menu;
pub(crate) mod picker;
pub(crate) mod quick_answers;
pub(crate) mod recorder;
pub(crate) mod restart;
pub(crate) mod rich;
pub(crate) mod row_actions;
pub(crate) mod send_message;
