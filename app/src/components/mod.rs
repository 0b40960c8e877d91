pub mod contacts;
pub mod conversations;
pub mod number_bar;
pub mod options_menu;
pub mod send_message;
