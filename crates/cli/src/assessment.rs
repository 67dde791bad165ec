//! `assessment add | approve | list`: personal-information impact assessments (PIPL Art 55, 56).
//!
//! A transfer is executed only when its agreement's `impact_assessment` reference names a stored, approved
//! assessment that assessed providing the data to the buyer and covers the agreement's scope (PIPL
//! Art 55(3)). The content is a JSON file an officer writes (`AssessmentContent`: subject, activity,
//! lawfulness, risks, measures, preparer, time); approval is a quorum of approvers' Ed25519 signatures over
//! its digest, none of them its preparer, kept at least three years (Art 56).

use std::path::PathBuf;

use clap::Subcommand;
use custodia_oversight::{Assessment, AssessmentContent};

use crate::context::{Context, read};
use crate::error::{CliError, Result};

#[derive(Subcommand)]
pub enum AssessmentCommand {
    /// Store a draft assessment from a JSON file of its content; prints its new id.
    #[command(after_help = "Example:\n  custodia --store ./seller assessment add --file pia-2026-017.json")]
    Add {
        /// The content (JSON: subject, activity, lawfulness, risks, measures, prepared_by, prepared_at).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Approve a stored assessment: every approver named signs its digest with their own key.
    #[command(
        after_help = "Example:\n  custodia --store ./seller assessment approve --id <ID> --by dpo-1 --signing-key dpo-1.key --by cco-1 --signing-key cco-1.key"
    )]
    Approve {
        /// The assessment's id (from `assessment add`).
        #[arg(long)]
        id: uuid::Uuid,
        /// An approver (a principal with the approver role); repeat, one per --signing-key, in the same order.
        #[arg(long, required = true)]
        by: Vec<String>,
        /// That approver's Ed25519 signing key (PKCS#8, from `custodia approver add`).
        #[arg(long, value_name = "FILE", required = true)]
        signing_key: Vec<PathBuf>,
    },
    /// List the stored assessments: id, subject, when prepared, whether and by whom approved.
    #[command(after_help = "Example:\n  custodia --store ./seller assessment list --json")]
    List,
}

pub fn run(ctx: &Context, command: AssessmentCommand) -> Result<()> {
    let b = ctx.open()?;
    match command {
        AssessmentCommand::Add { file } => {
            let shown = file.display().to_string();
            let content: AssessmentContent = custodia_model::from_json(&read(&file)?)
                .map_err(|e| CliError::input(&shown, e.to_string()))?;
            let assessment = Assessment::draft(uuid::Uuid::now_v7(), content)
                .map_err(|e| CliError::input(&shown, e.to_string()))?;
            b.store_assessment(&assessment)?;
            let (id, subject) = (assessment.id, assessment.content.subject.clone());
            ctx.emit(
                || {
                    format!(
                        "assessment {id} stored for {subject}; approve it with `custodia assessment approve`"
                    )
                },
                || serde_json::json!({ "id": id, "subject": subject }),
            );
        }
        AssessmentCommand::Approve { id, by, signing_key } => {
            if by.len() != signing_key.len() {
                return Err(CliError::input(
                    "--signing-key",
                    format!(
                        "{} approvers but {} keys: give one --signing-key per --by",
                        by.len(),
                        signing_key.len()
                    ),
                ));
            }
            let request = b.assessment_approval_request(id)?;
            let mut signed = Vec::with_capacity(by.len());
            for (who, key_file) in by.iter().zip(&signing_key) {
                let who = custodia_model::ActorId::new(who)?;
                let Some(principal) = b.principal(&who)? else {
                    return Err(CliError::input(
                        "--by",
                        format!("no principal {who} in this store (`custodia approver add`)"),
                    ));
                };
                let key = crate::approver::load_key(key_file)?;
                signed.push(request.sign(&principal, &key)?);
            }
            let approved = b.approve_assessment(id, &signed)?;
            let approval = approved.approval.as_ref();
            let approvers: Vec<&str> = approval
                .map(|a| a.approvers.iter().map(|p| p.as_str()).collect())
                .unwrap_or_default();
            let keep_until = approval.map(|a| a.keep_until);
            ctx.emit(
                || {
                    format!(
                        "assessment {id} approved by {}; kept until at least {}",
                        approvers.join(", "),
                        keep_until.map(|t| t.to_rfc3339()).unwrap_or_default()
                    )
                },
                || serde_json::json!({ "id": id, "approvers": approvers, "keep_until": keep_until }),
            );
        }
        AssessmentCommand::List => {
            let all = b.assessments()?;
            ctx.emit(
                || {
                    let mut out = format!("{} assessments", all.len());
                    for a in &all {
                        let state = match &a.approval {
                            Some(approval) => format!("approved {}", approval.at.to_rfc3339()),
                            None => "draft".into(),
                        };
                        out.push_str(&format!(
                            "\n  {}  {}  prepared {}  {state}",
                            a.id,
                            a.content.subject,
                            a.content.prepared_at.to_rfc3339()
                        ));
                    }
                    out
                },
                || serde_json::to_value(&all).unwrap_or_default(),
            );
        }
    }
    Ok(())
}
