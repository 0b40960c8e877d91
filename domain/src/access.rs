//! Who may use Atende: agents' e-mail addresses, passwords, roles and names.
//!
//! Hashing and sessions belong to the server; the rules a person can break by typing live here, so the
//! sign-in and "Novo agente" forms say what is wrong before anything is sent.

use serde::{Deserialize, Serialize};

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted: enough for any passphrase, short enough that hashing stays cheap.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Longest e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest agent name.
pub const AGENT_NAME_MAX_CHARS: usize = 80;

/// Why an access form was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AccessError {
    #[error("Informe o e-mail.")]
    EmailMissing,
    #[error("O e-mail “{0}” não é válido: use o formato nome@empresa.com.br.")]
    EmailInvalid(String),
    #[error("O e-mail pode ter no máximo {max} caracteres.")]
    EmailTooLong { max: usize },
    #[error("A senha precisa ter pelo menos {min} caracteres.")]
    PasswordTooShort { min: usize },
    #[error("A senha pode ter no máximo {max} caracteres.")]
    PasswordTooLong { max: usize },
    #[error("Informe o nome do agente.")]
    NameMissing,
    #[error("O nome pode ter no máximo {max} caracteres.")]
    NameTooLong { max: usize },
    #[error("O nome não pode conter caracteres de controle.")]
    NameHasControlCharacters,
    #[error("O perfil “{0}” não existe: use administrador ou agente.")]
    UnknownRole(String),
    #[error("Escolha ao menos uma equipe para o agente.")]
    TeamsMissing,
    #[error("Informe o nome da equipe.")]
    TeamNameMissing,
    #[error("Informe um nome para o token (por exemplo, o sistema que vai usá-lo).")]
    TokenNameMissing,
    #[error("Escolha ao menos uma equipe para o token, ou marque “Todas as equipes”.")]
    TokenTeamsMissing,
    #[error("Informe a senha atual.")]
    CurrentPasswordMissing,
    #[error("Muitas tentativas com este e-mail. Tente de novo em {minutes} min.")]
    TooManyAttempts { minutes: i64 },
}

/// An e-mail address, trimmed and in lower case (two spellings of one address are one agent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, AccessError> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(AccessError::EmailMissing);
        }
        if email.chars().count() > EMAIL_MAX_CHARS {
            return Err(AccessError::EmailTooLong { max: EMAIL_MAX_CHARS });
        }
        let invalid = || AccessError::EmailInvalid(input.trim().to_owned());
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "._%+-'".contains(c));
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = AccessError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// Checks a new password's length (counted in characters, so "ç" is one). Anything else is the person's
/// choice: composition rules make passwords worse, not better.
pub fn check_new_password(password: &str) -> Result<(), AccessError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(AccessError::PasswordTooShort { min: PASSWORD_MIN_CHARS });
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AccessError::PasswordTooLong { max: PASSWORD_MAX_CHARS });
    }
    Ok(())
}

/// Failed sign-ins allowed for one e-mail within [`SIGN_IN_WINDOW`]; one more is refused without looking at
/// the password until the oldest of them is older than the window.
pub const SIGN_IN_FAILURES_ALLOWED: usize = 10;
/// The window failed sign-ins are counted in.
pub const SIGN_IN_WINDOW: crate::time::Duration = crate::time::Duration::minutes(15);

/// Until when sign-ins for an e-mail are refused, given the times its recent attempts failed (any order;
/// those older than the window do not count): `None` while fewer than [`SIGN_IN_FAILURES_ALLOWED`] failed
/// within [`SIGN_IN_WINDOW`]. The refusals themselves are not failures, so the lock ends when the window
/// passes even if someone keeps trying.
pub fn sign_in_locked_until(
    failures: &[crate::time::Timestamp],
    now: crate::time::Timestamp,
) -> Option<crate::time::Timestamp> {
    let window_start = now.plus_millis(-SIGN_IN_WINDOW.as_millis());
    let mut recent: Vec<_> = failures.iter().copied().filter(|at| *at > window_start).collect();
    if recent.len() < SIGN_IN_FAILURES_ALLOWED {
        return None;
    }
    // Newest first: the lock lasts until the failure that made the count reach the limit leaves the window.
    recent.sort_unstable_by(|a, b| b.cmp(a));
    recent.get(SIGN_IN_FAILURES_ALLOWED - 1).map(|at| at.plus(SIGN_IN_WINDOW))
}

/// [`AccessError::TooManyAttempts`] for a lock that ends at `until`, in whole minutes (at least one).
pub fn too_many_attempts(until: crate::time::Timestamp, now: crate::time::Timestamp) -> AccessError {
    let millis = until.as_millis().saturating_sub(now.as_millis()).max(1);
    AccessError::TooManyAttempts { minutes: (millis + 59_999) / 60_000 }
}

/// What an agent may do beyond their teams' conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Sees every conversation and configures agents, teams, channels, templates and prices.
    Admin,
    /// Sees and acts on the conversations of their teams.
    Agent,
}

impl Role {
    /// The value stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }

    /// The stored value, or the Portuguese word an admin types.
    pub fn parse(value: &str) -> Result<Self, AccessError> {
        match value.trim().to_lowercase().as_str() {
            "admin" | "administrador" | "administradora" => Ok(Self::Admin),
            "agent" | "agente" => Ok(Self::Agent),
            other => Err(AccessError::UnknownRole(other.to_owned())),
        }
    }

    /// What the console shows.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Admin => "Administrador",
            Self::Agent => "Agente",
        }
    }
}

/// Who is asking: what the access rules need to know of a signed-in agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub agent: i64,
    pub name: String,
    pub role: Role,
    /// The teams the agent belongs to, by id.
    pub teams: Vec<i64>,
}

impl Viewer {
    /// An admin sees every conversation; an agent those of their teams and those no team has taken yet
    /// (the shared inbox, where a contact's first message lands).
    pub fn may_see(&self, conversation_team: Option<i64>) -> bool {
        match (self.role, conversation_team) {
            (Role::Admin, _) | (Role::Agent, None) => true,
            (Role::Agent, Some(team)) => self.teams.contains(&team),
        }
    }

    /// The teams whose conversations a list may show: `None` for all.
    pub fn team_filter(&self) -> Option<&[i64]> {
        match self.role {
            Role::Admin => None,
            Role::Agent => Some(&self.teams),
        }
    }

    pub const fn me(&self) -> crate::conversation::AgentId {
        crate::conversation::AgentId(self.agent)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the agent may start a conversation for `team`: an admin for any, an agent for their own.
    pub fn may_act_for(&self, team: i64) -> bool {
        self.role == Role::Admin || self.teams.contains(&team)
    }

    /// The same person acting through an API token limited to `teams` (`None`: every team): an agent of
    /// exactly those teams, so the token reaches what such an agent would and nothing more, whoever made it.
    #[must_use]
    pub fn through_token(self, teams: Option<Vec<i64>>) -> Self {
        match teams {
            None => self,
            Some(teams) => Self { role: Role::Agent, teams, ..self },
        }
    }
}

/// The teams an admin gives an API token: `None` for every team (present and future), else at least one.
pub fn token_teams(all: bool, teams: &[i64]) -> Result<Option<Vec<i64>>, AccessError> {
    if all {
        return Ok(None);
    }
    let mut teams = teams.to_vec();
    teams.sort_unstable();
    teams.dedup();
    if teams.is_empty() {
        return Err(AccessError::TokenTeamsMissing);
    }
    Ok(Some(teams))
}

/// "Alterar senha": the current password (checked by the server) and the new one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").finish_non_exhaustive()
    }
}

impl PasswordChange {
    /// The first problem, in the order the form shows its fields.
    pub fn validate(&self) -> Result<(), AccessError> {
        if self.current.is_empty() {
            return Err(AccessError::CurrentPasswordMissing);
        }
        check_new_password(&self.new)
    }
}

/// "Novo agente" as typed by an admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentForm {
    pub name: String,
    pub email: String,
    pub password: String,
    /// "admin" or "agent" (or the Portuguese words).
    pub role: String,
    pub teams: Vec<i64>,
}

/// A valid "Novo agente" form; the password is still in clear, for the server to hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidAgent {
    pub name: String,
    pub email: Email,
    pub password: String,
    pub role: Role,
    pub teams: Vec<i64>,
}

impl std::fmt::Debug for ValidAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidAgent")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("teams", &self.teams)
            .finish_non_exhaustive()
    }
}

impl AgentForm {
    /// The first problem, in the order the form shows its fields. An agent needs a team (an admin sees
    /// everything and needs none).
    pub fn validate(&self) -> Result<ValidAgent, AccessError> {
        let name = agent_name(&self.name)?;
        let email = Email::parse(&self.email)?;
        check_new_password(&self.password)?;
        let role = Role::parse(&self.role)?;
        let mut teams = self.teams.clone();
        teams.sort_unstable();
        teams.dedup();
        if role == Role::Agent && teams.is_empty() {
            return Err(AccessError::TeamsMissing);
        }
        Ok(ValidAgent { name, email, password: self.password.clone(), role, teams })
    }
}

/// A team's name: spaces collapsed, not empty, no control characters.
pub fn team_name(input: &str) -> Result<String, AccessError> {
    short_label(input, AccessError::TeamNameMissing)
}

/// The name an admin gives an API token, to recognise it later in the list and in the audit trail.
pub fn token_name(input: &str) -> Result<String, AccessError> {
    short_label(input, AccessError::TokenNameMissing)
}

fn short_label(input: &str, missing: AccessError) -> Result<String, AccessError> {
    use crate::contact::{tidy_name, NameIssue};
    tidy_name(input, AGENT_NAME_MAX_CHARS).map_err(|issue| match issue {
        NameIssue::Missing => missing,
        NameIssue::TooLong => AccessError::NameTooLong { max: AGENT_NAME_MAX_CHARS },
        NameIssue::ControlCharacters => AccessError::NameHasControlCharacters,
    })
}

/// An agent's name as colleagues see it: spaces collapsed, not empty, no control characters.
pub fn agent_name(input: &str) -> Result<String, AccessError> {
    use crate::contact::{tidy_name, NameIssue};
    tidy_name(input, AGENT_NAME_MAX_CHARS).map_err(|issue| match issue {
        NameIssue::Missing => AccessError::NameMissing,
        NameIssue::TooLong => AccessError::NameTooLong { max: AGENT_NAME_MAX_CHARS },
        NameIssue::ControlCharacters => AccessError::NameHasControlCharacters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn novo_agente_says_the_first_problem_and_an_agent_needs_a_team() {
        let form = AgentForm {
            name: "  Ana   Souza ".into(),
            email: "Ana@Loja.com.br".into(),
            password: "senha-forte".into(),
            role: "agente".into(),
            teams: vec![3, 1, 3],
        };
        let valid = form.validate().expect("valid");
        assert_eq!((valid.name.as_str(), valid.email.as_str()), ("Ana Souza", "ana@loja.com.br"));
        assert_eq!((valid.role, valid.teams.clone()), (Role::Agent, vec![1, 3]));
        assert!(!format!("{valid:?}").contains("senha-forte"), "the password never reaches a log");
        let no_team = AgentForm { teams: vec![], ..form.clone() };
        assert_eq!(no_team.validate(), Err(AccessError::TeamsMissing));
        let admin = AgentForm { role: "administrador".into(), ..no_team };
        assert_eq!(admin.validate().map(|a| a.role), Ok(Role::Admin));
        let short = AgentForm { password: "curta".into(), ..form.clone() };
        assert_eq!(short.validate(), Err(AccessError::PasswordTooShort { min: PASSWORD_MIN_CHARS }));
        let nameless = AgentForm { name: " ".into(), email: "x".into(), ..form };
        assert_eq!(nameless.validate(), Err(AccessError::NameMissing), "the name is checked first");
        assert_eq!(team_name("  Vendas  "), Ok("Vendas".into()));
        assert_eq!(team_name("\t"), Err(AccessError::TeamNameMissing));
        assert_eq!(token_name(""), Err(AccessError::TokenNameMissing));
    }

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ana.Souza@Loja-Exemplo.com.BR ").expect("valid");
        assert_eq!(email.as_str(), "ana.souza@loja-exemplo.com.br");
        assert_eq!(
            Email::parse("joão+vendas@padaria.com").map(|e| e.as_str().to_owned()).ok().as_deref(),
            Some("joão+vendas@padaria.com")
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_the_reason() {
        for bad in [
            "ana",
            "ana@",
            "@loja.com",
            "ana@loja",
            "ana@@loja.com",
            "ana souza@loja.com",
            "ana@loja..com",
            ".ana@loja.com",
            "ana@-loja.com",
        ] {
            let error = Email::parse(bad).expect_err(bad);
            assert_eq!(error, AccessError::EmailInvalid(bad.to_owned()), "{bad}");
        }
        assert_eq!(Email::parse("  "), Err(AccessError::EmailMissing));
        let long = format!("{}@loja.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(AccessError::EmailTooLong { max: EMAIL_MAX_CHARS }));
        assert_eq!(
            Email::parse("ana").expect_err("invalid").to_string(),
            "O e-mail “ana” não é válido: use o formato nome@empresa.com.br."
        );
    }

    #[test]
    fn passwords_are_checked_by_length_in_characters() {
        assert_eq!(check_new_password("1234567"), Err(AccessError::PasswordTooShort { min: 8 }));
        assert_eq!(check_new_password("çãõéíóúà"), Ok(()), "eight characters, sixteen bytes");
        assert_eq!(check_new_password(&"x".repeat(129)), Err(AccessError::PasswordTooLong { max: 128 }));
        assert_eq!(
            check_new_password("curta").expect_err("short").to_string(),
            "A senha precisa ter pelo menos 8 caracteres."
        );
    }

    #[test]
    fn roles_round_trip_and_accept_the_portuguese_words() {
        for role in [Role::Admin, Role::Agent] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("Administrador"), Ok(Role::Admin));
        assert_eq!(Role::parse(" agente "), Ok(Role::Agent));
        assert_eq!(Role::parse("gerente"), Err(AccessError::UnknownRole("gerente".into())));
    }

    #[test]
    fn agent_names_are_tidied_and_bounded() {
        assert_eq!(agent_name("  Ana   Souza "), Ok("Ana Souza".into()));
        assert_eq!(agent_name(" \t"), Err(AccessError::NameMissing));
        assert_eq!(agent_name(&"a".repeat(81)), Err(AccessError::NameTooLong { max: 80 }));
        assert_eq!(agent_name("Ana\u{7}"), Err(AccessError::NameHasControlCharacters));
    }

    #[test]
    fn an_agent_sees_their_teams_and_the_shared_inbox_and_an_admin_sees_everything() {
        let agent = Viewer { agent: 2, name: "Ana".into(), role: Role::Agent, teams: vec![10] };
        assert!(agent.may_see(Some(10)));
        assert!(!agent.may_see(Some(20)), "another team's conversation");
        assert!(agent.may_see(None), "not taken by a team yet");
        assert!(agent.may_act_for(10) && !agent.may_act_for(20));
        assert_eq!(agent.team_filter(), Some(&[10][..]));
        let admin = Viewer { agent: 1, name: "Dona".into(), role: Role::Admin, teams: vec![] };
        assert!(admin.may_see(Some(20)) && admin.may_act_for(20));
        assert_eq!(admin.team_filter(), None);
    }

    #[test]
    fn a_token_limited_to_teams_acts_as_an_agent_of_those_teams_only() {
        let admin = Viewer { agent: 1, name: "Dona".into(), role: Role::Admin, teams: vec![10] };
        assert_eq!(admin.clone().through_token(None), admin, "every team: the admin's view");
        let scoped = admin.through_token(Some(vec![20]));
        assert_eq!((scoped.agent, scoped.role), (1, Role::Agent), "the audit trail still names the admin");
        assert!(scoped.may_act_for(20) && !scoped.may_act_for(10), "not even the admin's own team");
        assert!(!scoped.may_see(Some(10)) && scoped.may_see(Some(20)));
        assert_eq!(token_teams(true, &[3]), Ok(None));
        assert_eq!(token_teams(false, &[3, 1, 3]), Ok(Some(vec![1, 3])));
        assert_eq!(token_teams(false, &[]), Err(AccessError::TokenTeamsMissing));
    }

    #[test]
    fn alterar_senha_needs_the_current_password_and_a_valid_new_one_never_printed() {
        let change = PasswordChange { current: "antiga-123".into(), new: "nova-senha-forte".into() };
        assert_eq!(change.validate(), Ok(()));
        assert!(!format!("{change:?}").contains("antiga") && !format!("{change:?}").contains("nova"));
        let blank = PasswordChange { current: String::new(), ..change.clone() };
        assert_eq!(blank.validate(), Err(AccessError::CurrentPasswordMissing));
        let short = PasswordChange { new: "curta".into(), ..change };
        assert_eq!(short.validate(), Err(AccessError::PasswordTooShort { min: PASSWORD_MIN_CHARS }));
    }

    #[test]
    fn ten_failed_sign_ins_in_fifteen_minutes_lock_the_email_until_the_window_passes() {
        use crate::time::Timestamp;
        let minute = 60_000;
        let t0 = Timestamp::from_millis(1_767_225_600_000);
        // Nine failures one minute apart: still allowed.
        let mut failures: Vec<Timestamp> = (0..9).map(|i| t0.plus_millis(i * minute)).collect();
        assert_eq!(sign_in_locked_until(&failures, t0.plus_millis(9 * minute)), None);
        failures.push(t0.plus_millis(9 * minute));
        let now = t0.plus_millis(9 * minute);
        let until = sign_in_locked_until(&failures, now).expect("the tenth locks");
        assert_eq!(until, t0.plus_millis(15 * minute), "until the first of the ten leaves the window");
        assert_eq!(sign_in_locked_until(&failures, until.plus_millis(-1)), Some(until));
        assert_eq!(sign_in_locked_until(&failures, until), None, "the window passed");
        assert_eq!(
            too_many_attempts(until, now).to_string(),
            "Muitas tentativas com este e-mail. Tente de novo em 6 min."
        );
        assert_eq!(too_many_attempts(now, now), AccessError::TooManyAttempts { minutes: 1 });
        let old: Vec<Timestamp> = (0..20).map(|i| t0.plus_millis(-i * minute - 16 * minute)).collect();
        assert_eq!(sign_in_locked_until(&old, t0), None, "failures older than the window do not count");
    }

    proptest! {
        #[test]
        fn the_lock_needs_the_limit_and_never_outlasts_the_window(
            offsets in proptest::collection::vec(0_i64..3_600_000, 0..30),
            later in 0_i64..1_800_000,
        ) {
            use crate::time::Timestamp;
            let t0 = Timestamp::from_millis(1_767_225_600_000);
            let failures: Vec<Timestamp> = offsets.iter().map(|o| t0.plus_millis(*o)).collect();
            let now = t0.plus_millis(3_600_000 + later);
            let window_start = now.plus_millis(-SIGN_IN_WINDOW.as_millis());
            let recent = failures.iter().filter(|at| **at > window_start).count();
            match sign_in_locked_until(&failures, now) {
                Some(until) => {
                    prop_assert!(recent >= SIGN_IN_FAILURES_ALLOWED);
                    prop_assert!(until > now && until <= now.plus(SIGN_IN_WINDOW));
                }
                None => prop_assert!(recent < SIGN_IN_FAILURES_ALLOWED),
            }
        }

        #[test]
        fn parsing_never_panics_and_a_parsed_email_parses_to_itself(input in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                prop_assert!(email.as_str().contains('@'));
            }
            let _ = check_new_password(&input);
            let _ = agent_name(&input);
        }
    }
}
