//! An embedded fake of the WhatsApp Cloud API, served over real HTTP by the same binary, so Atende runs and is
//! tested with no Meta account. Atende talks to it with the real [`CloudApiClient`](crate::providers::whatsapp::CloudApiClient)
//! and receives its webhooks on the real endpoint, signed with the app secret.
//!
//! Mount [`router`] under `/sandbox`; the client's base URL is then `http://<address>/sandbox/graph/v23.0`.
//!
//! | route (under the mount) | what |
//! |---|---|
//! | `POST /graph/v23.0/{phone_number_id}/messages` | send; Meta's checks and error envelopes |
//! | `GET /graph/v23.0/{waba_id}/message_templates` | the demo templates, cursor-paged (`limit`, `after`) |
//! | `GET /graph/v23.0/{media_id}` and `GET /media/{media_id}` | media sent by the simulated contacts |
//! | `GET`/`POST /simulador` | "Simulador de contato": reply as a contact (text, emoji, image, file) |
//! | `POST`/`DELETE /faults` | inject failures into the next sends, of the Cloud API or (`"channel"`) of the other channels' fakes (tests) |
//!
//! Rules enforced (reference §1, §2, §4, §5, §7, §9): free-form outside the 24-hour window is accepted and then
//! fails asynchronously with 131047; templates are checked (132001 unknown or not approved, 132015 paused,
//! 132016 disabled, 132000 parameter count, 132012/132018 parameter values); the configured "old" Brazilian
//! numbers get a 12-digit `wa_id` without the ninth digit; accepted messages progress sent → delivered → read
//! by signed webhook with PMP `pricing`, echoing `biz_opaque_callback_data`; more than `rate_limit_per_second`
//! sends per second answer 130429 with HTTP 429, and more than `pair_burst` quick sends to one person 131056.
//! Unacknowledged webhooks are retried (for `webhook_retry_for`), so a server that was down gets them later.

mod graph;
pub mod others;
mod samples;
mod simulator;
mod state;
mod templates;

pub use state::*;
