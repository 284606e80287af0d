//! The error of a rejected command, carrying Redis's exact message.

use std::fmt;

/// A command error; `Display` gives the full Redis error line, e.g.
/// `ERR syntax error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZError(String);

impl ZError {
    /// `ERR <message>`.
    pub fn err(message: impl fmt::Display) -> ZError {
        ZError(format!("ERR {message}"))
    }

    /// `ERR syntax error`.
    pub fn syntax() -> ZError {
        ZError::err("syntax error")
    }

    /// `ERR value is not a valid float`.
    pub fn not_float() -> ZError {
        ZError::err("value is not a valid float")
    }

    /// `ERR value is not an integer or out of range`.
    pub fn not_integer() -> ZError {
        ZError::err("value is not an integer or out of range")
    }

    /// `ERR min or max is not a float`.
    pub fn range_not_float() -> ZError {
        ZError::err("min or max is not a float")
    }

    /// `ERR min or max not valid string range item`.
    pub fn lex_range_invalid() -> ZError {
        ZError::err("min or max not valid string range item")
    }

    /// `ERR resulting score is not a number (NaN)`.
    pub fn nan_result() -> ZError {
        ZError::err("resulting score is not a number (NaN)")
    }

    /// `ERR wrong number of arguments for '<cmd>' command`.
    pub fn arity(command: &str) -> ZError {
        ZError::err(format_args!("wrong number of arguments for '{command}' command"))
    }

    /// The full error line.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ZError {}
