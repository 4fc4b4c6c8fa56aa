//! `POST /incidents/{id}/{action}`: the incident page's forms, checked and handed to the backend.
//!
//! Only callers who may write get this far; readers are answered 403 before their form is read. Values that
//! come from option lists are checked against the backend's vocabulary, so a backend only sees values it
//! offered. After a change the browser is sent back to the incident page (post/redirect/get).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;

use crate::backend::{ConsoleBackend, ConsoleError};
use crate::pages::require_choice;
use crate::render::error_page;
use crate::session::{Signed, cross_origin, refuse_cross_origin, see_other};
use crate::view::{Action, Vocabulary};
use crate::{Console, incident_path};

/// The longest comment accepted, in characters (the limit of Sentinel incident comments).
const MAX_COMMENT: usize = tandem_model::limits::MAX_COMMENT_CHARS;
/// The longest tag or owner accepted, in characters.
const MAX_SHORT: usize = tandem_model::limits::MAX_TAG_CHARS;

/// The fields of every action form; each action reads the ones it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActionForm {
    owner: String,
    status: String,
    classification: String,
    determination: String,
    comment: String,
    tag: String,
    text: String,
}

/// A trimmed, non-empty value of at most `max` characters.
fn required(field: &str, value: &str, max: usize) -> Result<String, ConsoleError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ConsoleError::invalid(field, value, "must not be empty"));
    }
    if value.chars().count() > max {
        let shown: String = value.chars().take(40).collect();
        return Err(ConsoleError::invalid(
            field,
            &format!("{shown}…"),
            &format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// An optional value: `None` when empty, else as [`required`].
fn optional(field: &str, value: &str, max: usize) -> Result<Option<String>, ConsoleError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        required(field, value, max).map(Some)
    }
}

/// The action a form asks for, with every value checked.
fn action(name: &str, form: ActionForm, vocabulary: &Vocabulary) -> Result<Action, ConsoleError> {
    Ok(match name {
        "assign" => Action::Assign {
            owner: optional("owner", &form.owner, MAX_SHORT)?,
        },
        "status" => {
            require_choice("status", &form.status, &vocabulary.statuses)?;
            Action::SetStatus {
                status: form.status,
            }
        }
        "close" => {
            require_choice(
                "classification",
                &form.classification,
                &vocabulary.classifications,
            )?;
            let determination = match vocabulary.determinations.is_empty() {
                true => None,
                false => {
                    require_choice(
                        "determination",
                        &form.determination,
                        &vocabulary.determinations,
                    )?;
                    Some(form.determination)
                }
            };
            let comment = optional("comment", &form.comment, MAX_COMMENT)?;
            Action::Close {
                classification: form.classification,
                determination,
                comment,
            }
        }
        "tag" => Action::AddTag {
            tag: required("tag", &form.tag, MAX_SHORT)?,
        },
        "untag" => Action::RemoveTag {
            tag: required("tag", &form.tag, MAX_SHORT)?,
        },
        "comment" => Action::Comment {
            text: required("text", &form.text, MAX_COMMENT)?,
        },
        other => {
            return Err(ConsoleError::invalid(
                "action",
                other,
                "expected assign, status, close, tag, untag or comment",
            ));
        }
    })
}

/// `POST /incidents/{id}/{action}`.
pub(crate) async fn apply<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    signed: Signed,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let profile = console.backend.profile();
    let caller = &signed.caller;
    if cross_origin(&headers, &uri) {
        return refuse_cross_origin(profile, Some(caller));
    }
    if let Err(error) = caller.require_writer() {
        return error_page(profile, Some(caller), &error);
    }
    let checked = form
        .map_err(|rejection| {
            ConsoleError::invalid(
                "form",
                &rejection.body_text(),
                "expected a submitted HTML form",
            )
        })
        .and_then(|Form(form)| action(&name, form, &profile.vocabulary));
    let result = match checked {
        Ok(action) => console.backend.apply(caller, &id, action).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => see_other(&incident_path(&id), None),
        Err(error) => error_page(profile, Some(caller), &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Choice;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            statuses: vec![Choice::new("active", "Active")],
            classifications: vec![Choice::new("truePositive", "True positive")],
            determinations: vec![Choice::new("malware", "Malware")],
            providers: vec![],
            close_verb: "Resolve".into(),
        }
    }

    fn form(fill: impl FnOnce(&mut ActionForm)) -> ActionForm {
        let mut form = ActionForm::default();
        fill(&mut form);
        form
    }

    #[test]
    fn close_needs_offered_values() {
        let ok = action(
            "close",
            form(|f| {
                f.classification = "truePositive".into();
                f.determination = "malware".into();
                f.comment = "  contained  ".into();
            }),
            &vocabulary(),
        );
        assert_eq!(
            ok.unwrap(),
            Action::Close {
                classification: "truePositive".into(),
                determination: Some("malware".into()),
                comment: Some("contained".into())
            }
        );
        let bad = action(
            "close",
            form(|f| f.classification = "maybe".into()),
            &vocabulary(),
        )
        .unwrap_err();
        assert!(
            matches!(bad, ConsoleError::Invalid { ref field, ref value, .. } if field == "classification" && value == "maybe")
        );
    }

    #[test]
    fn empty_and_oversized_text_is_refused() {
        assert!(action("comment", form(|f| f.text = "   ".into()), &vocabulary()).is_err());
        assert!(
            action(
                "tag",
                form(|f| f.tag = "x".repeat(MAX_SHORT + 1)),
                &vocabulary()
            )
            .is_err()
        );
        assert_eq!(
            action("assign", form(|_| ()), &vocabulary()).unwrap(),
            Action::Assign { owner: None }
        );
        assert!(action("delete", form(|_| ()), &vocabulary()).is_err());
    }
}
