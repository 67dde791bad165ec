//! Progress reports for long work use the model's one event (`custodia_model::Progress`, with its `Phase`) and
//! the one callback shape `&mut dyn FnMut(Progress)`: the caller owns the callback, the library prints nothing.

pub(crate) use custodia_model::{Phase, Progress};
