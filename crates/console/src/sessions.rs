//! A backend's table of signed-in sessions, kept in memory.
//!
//! Both consoles sign analysts in with an app registration's client id and secret and keep the session for a
//! few hours. The part that does not depend on where the apps are registered lives here: issuing unguessable
//! tokens, expiring and ending sessions. A backend checks the client id and secret against its own identity,
//! decides the [`Caller`] and calls [`SessionTable::open`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{TimeDelta, Utc};

use crate::backend::ConsoleResult;
use crate::view::{Caller, Session};

/// Sessions by token, each valid for the table's lifetime from sign-in.
#[derive(Debug)]
pub struct SessionTable {
    lifetime: TimeDelta,
    sessions: Mutex<HashMap<String, Session>>,
}

impl SessionTable {
    /// An empty table whose sessions last `lifetime`.
    pub fn new(lifetime: TimeDelta) -> SessionTable {
        SessionTable {
            lifetime,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// A table whose sessions last eight hours, a working shift.
    pub fn shift() -> SessionTable {
        SessionTable::new(TimeDelta::hours(8))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // Every change to the map is a single insert or remove, so a poisoned lock holds a whole map.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a session for a caller whose credentials the backend has checked, with a fresh random token.
    pub fn open(&self, caller: Caller) -> ConsoleResult<Session> {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let session = Session {
            token,
            caller,
            expires: Some(Utc::now() + self.lifetime),
        };
        self.lock().insert(session.token.clone(), session.clone());
        Ok(session)
    }

    /// The caller of a live session; expired sessions are dropped on the way.
    pub fn verify(&self, token: &str) -> ConsoleResult<Option<Caller>> {
        let mut sessions = self.lock();
        let now = Utc::now();
        sessions.retain(|_, s| s.expires.is_none_or(|e| e > now));
        Ok(sessions.get(token).map(|s| s.caller.clone()))
    }

    /// Ends a session; ending an unknown one does nothing.
    pub fn close(&self, token: &str) -> ConsoleResult<()> {
        self.lock().remove(token);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Caller {
        Caller {
            display_name: "Reader".into(),
            can_write: false,
        }
    }

    #[test]
    fn sessions_are_found_until_closed() {
        let table = SessionTable::shift();
        let a = table.open(reader()).unwrap();
        let b = table.open(reader()).unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(table.verify(&a.token).unwrap(), Some(reader()));
        table.close(&a.token).unwrap();
        assert_eq!(table.verify(&a.token).unwrap(), None);
        assert_eq!(table.verify(&b.token).unwrap(), Some(reader()));
        assert_eq!(table.verify("made-up").unwrap(), None);
    }

    #[test]
    fn expired_sessions_are_not_found() {
        let table = SessionTable::new(TimeDelta::seconds(-1));
        let session = table.open(reader()).unwrap();
        assert_eq!(table.verify(&session.token).unwrap(), None);
    }
}
