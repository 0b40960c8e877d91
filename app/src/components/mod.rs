pub mod contacts;
pub mod conversation;
pub mod conversations;
pub mod loaded_list;
pub mod number_bar;
pub mod options_menu;
pub mod restart;
pub mod send_message;
