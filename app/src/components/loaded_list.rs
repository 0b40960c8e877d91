//! A list the server sends: a loading line while it comes, a sentence when it is empty, the error in
//! Portuguese when it fails, else one row per item. The conversation list, the contacts of "Novo
//! atendimento" and the search results all look and behave this way.

use crate::error::AppError;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[component]
pub(crate) fn LoadedList<T, R, V>(
    items: crate::wire::Loaded<Result<Vec<T>, AppError>>,
    loading: &'static str,
    empty: &'static str,
    /// The list's accessible name, when it needs one.
    #[prop(optional)]
    label: Option<&'static str>,
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {move || {
                let row = row.clone();
                Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted empty-list">{empty}</p> }.into_any()
                        }
                        Ok(list) => {
                            view! { <ul class="rows" aria-label=label>{list.into_iter().map(row).collect_view()}</ul> }
                                .into_any()
                        }
                        Err(error) => view! { <p role="alert" class="error">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
