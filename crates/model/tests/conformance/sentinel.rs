//! Conformance of the Sentinel ARM examples and the Log Analytics (ingestion and query) examples.
//!
//! Each example holds `parameters` (the request; its body is the one object-valued parameter) and
//! `responses` keyed by status code, each with an optional `body`. The file name and folder say which
//! operation the example shows, and so which type its bodies are.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tandem_model::sentinel::{
    Entity, Incident, IncidentComment, IncidentEntitiesResponse, IncidentRelation, IncidentTask,
    List,
};
use tandem_model::tables::{QueryBody, QueryResponse};

use super::diff::first_difference;

/// Checks one ARM example file; returns the number of bodies checked.
pub fn check_arm_example(path: &Path, example: Value) -> Result<usize, String> {
    let operation = Operation::of(path)?;
    let mut checked = 0;
    if let Some(body) = request_body(&example, operation.request_member())? {
        operation.check_request(body)?;
        checked += 1;
    }
    for (status, body) in response_bodies(&example)? {
        operation
            .check_response(body)
            .map_err(|e| format!("response {status}: {e}"))?;
        checked += 1;
    }
    Ok(checked)
}

/// Like [`check_arm_example`], but passes over files that are not examples (such as the swagger
/// next to them).
pub fn check_arm_example_if_example(path: &Path, example: Value) -> Result<usize, String> {
    let in_examples = path.components().any(|c| c.as_os_str() == "examples");
    if in_examples && example.get("responses").is_some() {
        check_arm_example(path, example)
    } else {
        Ok(0)
    }
}

/// The operation an example shows, as far as the body types go.
#[derive(Debug, Clone, Copy)]
enum Operation {
    /// Get, create or update one resource of the given kind.
    One(Kind),
    /// List resources of the given kind.
    Many(Kind),
    /// Delete: no bodies.
    Delete,
    /// `incidents/{id}/alerts` or `incidents/{id}/bookmarks`: a list of entities.
    EntityList,
    /// `incidents/{id}/entities`.
    Entities,
    /// Logs Ingestion: the body is an array of rows.
    Ingest,
    /// Log Analytics query.
    Query,
}

/// Which ARM resource an incident example is about.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Incident,
    Comment,
    Relation,
    Task,
}

impl Operation {
    fn of(path: &Path) -> Result<Self, String> {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let under = |folder: &str| path.components().any(|c| c.as_os_str() == folder);
        if under("logs-ingestion") {
            return Ok(Operation::Ingest);
        }
        if under("logs-query") {
            return Ok(Operation::Query);
        }
        let kind = if under("comments") {
            Kind::Comment
        } else if under("relations") {
            Kind::Relation
        } else if under("tasks") {
            Kind::Task
        } else {
            Kind::Incident
        };
        Ok(match stem {
            "GetAllIncidentAlerts" | "GetAllIncidentBookmarks" => Operation::EntityList,
            "GetAllIncidentEntities" => Operation::Entities,
            s if s.starts_with("Delete") || s.ends_with("_Delete") => Operation::Delete,
            s if s.starts_with("GetAll") || s == "GetIncidents" || s.ends_with("_List") => {
                Operation::Many(kind)
            }
            s if s.starts_with("Get") || s.starts_with("Create") || s.ends_with("_Get") => {
                Operation::One(kind)
            }
            s if s.ends_with("_CreateOrUpdate") => Operation::One(kind),
            other => return Err(format!("no body type known for example `{other}`")),
        })
    }

    /// The parameter that holds the request body, if the operation takes one.
    fn request_member(self) -> Option<&'static str> {
        match self {
            Operation::One(Kind::Incident) => Some("incident"),
            Operation::One(Kind::Comment) => Some("incidentComment"),
            Operation::One(Kind::Relation) => Some("relation"),
            Operation::One(Kind::Task) => Some("incidentTask"),
            Operation::Ingest | Operation::Query => Some("body"),
            _ => None,
        }
    }

    fn check_request(self, body: &Value) -> Result<(), String> {
        match self {
            Operation::Ingest => round_trip::<Vec<Map<String, Value>>>("ingestion rows", body),
            Operation::Query => round_trip::<QueryBody>("query body", body),
            _ => self.check_response(body),
        }
        .map_err(|e| format!("request: {e}"))
    }

    fn check_response(self, body: &Value) -> Result<(), String> {
        match self {
            Operation::One(kind) => kind.check_one(body),
            Operation::Many(kind) => kind.check_many(body),
            Operation::Delete => Err(format!("a delete answer has no body, found {body}")),
            Operation::EntityList => round_trip::<List<Entity>>("entity list", body),
            Operation::Entities => round_trip::<IncidentEntitiesResponse>("entities", body),
            Operation::Ingest => Err(format!("an ingestion answer has no body, found {body}")),
            Operation::Query => round_trip::<QueryResponse>("query response", body),
        }
    }
}

impl Kind {
    fn check_one(self, body: &Value) -> Result<(), String> {
        match self {
            Kind::Incident => round_trip::<Incident>("incident", body),
            Kind::Comment => round_trip::<IncidentComment>("comment", body),
            Kind::Relation => round_trip::<IncidentRelation>("relation", body),
            Kind::Task => round_trip::<IncidentTask>("task", body),
        }
    }

    fn check_many(self, body: &Value) -> Result<(), String> {
        match self {
            Kind::Incident => round_trip::<List<Incident>>("incident list", body),
            Kind::Comment => round_trip::<List<IncidentComment>>("comment list", body),
            Kind::Relation => round_trip::<List<IncidentRelation>>("relation list", body),
            Kind::Task => round_trip::<List<IncidentTask>>("task list", body),
        }
    }
}

/// The request body under `parameters.<member>`, if the example has one.
fn request_body<'a>(example: &'a Value, member: Option<&str>) -> Result<Option<&'a Value>, String> {
    let parameters = example
        .get("parameters")
        .ok_or("example has no `parameters`")?;
    Ok(member.and_then(|m| parameters.get(m)))
}

/// The bodies of the responses, with their status codes.
fn response_bodies(example: &Value) -> Result<Vec<(&str, &Value)>, String> {
    let responses = example
        .get("responses")
        .and_then(Value::as_object)
        .ok_or("example has no `responses` object")?;
    Ok(responses
        .iter()
        .filter_map(|(status, r)| r.get("body").map(|b| (status.as_str(), b)))
        .collect())
}

/// Parses `body` as `T` and checks that writing it gives the same JSON value.
fn round_trip<T: DeserializeOwned + Serialize>(what: &str, body: &Value) -> Result<(), String> {
    let parsed: T = tandem_model::from_value(body.clone()).map_err(|e| format!("{what}: {e}"))?;
    let written = serde_json::to_value(&parsed).map_err(|e| format!("{what}: write: {e}"))?;
    match first_difference(body, &written, String::new()) {
        None => Ok(()),
        Some(d) => Err(format!("{what} does not round-trip: {d}")),
    }
}
