//! The tabular operators after `|`: each reads its own arguments, options and keywords.

use super::Parser;
use crate::ast::{
    Assignment, ExprKind, JoinKey, MakeSeries, MvExpand, MvItem, Operator, OperatorKind, Parse,
    ParsePart, Pipeline, SortKey, Source, TopNestedLevel,
};
use crate::error::KqlError;
use crate::lexer::TokenKind;
use crate::types::KqlType;

/// Real KQL operators Tandem parses (to report them by name) but does not run.
const UNSUPPORTED: [&str; 16] = [
    "evaluate",
    "fork",
    "facet",
    "reduce",
    "partition",
    "scan",
    "sample-distinct",
    "top-hitters",
    "project-smart",
    "parse-kv",
    "make-graph",
    "graph-match",
    "find",
    "consume",
    "lookup-cs",
    "extend-cs",
];

impl Parser {
    /// One operator, its `|` already read.
    pub(super) fn operator(&mut self) -> Result<Operator, KqlError> {
        let offset = self.offset();
        let name = self.joined_name(false)?;
        let kind = match name.as_str() {
            "where" | "filter" => OperatorKind::Where(self.expr()?),
            "project" => OperatorKind::Project(self.assignments()?),
            "project-away" => OperatorKind::ProjectAway(self.name_patterns()?),
            "project-keep" => OperatorKind::ProjectKeep(self.name_patterns()?),
            "project-reorder" => OperatorKind::ProjectReorder(self.name_patterns()?),
            "project-rename" => OperatorKind::ProjectRename(self.renames()?),
            "extend" => OperatorKind::Extend(self.assignments()?),
            "summarize" => self.summarize()?,
            "count" => OperatorKind::Count,
            "distinct" => self.distinct()?,
            "take" | "limit" => {
                self.options(&[]);
                OperatorKind::Take(self.expr()?)
            }
            "sample" => OperatorKind::Sample(self.expr()?),
            "top" => self.top()?,
            "sort" | "order" => {
                self.options(&[]);
                self.expect_word("by")?;
                OperatorKind::Sort(self.sort_keys()?)
            }
            "join" => self.join()?,
            "lookup" => self.lookup()?,
            "union" => OperatorKind::Union(self.union_body(offset)?),
            "mv-expand" => OperatorKind::MvExpand(self.mv_expand()?),
            "mv-apply" => self.mv_apply()?,
            "parse" | "parse-where" => {
                OperatorKind::Parse(self.parse_operator(name == "parse-where")?)
            }
            "make-series" => OperatorKind::MakeSeries(self.make_series()?),
            "top-nested" => self.top_nested()?,
            "as" => {
                self.options(&[]);
                OperatorKind::As(self.name()?)
            }
            "search" => OperatorKind::Search(self.search_body(offset)?.predicate),
            "render" => {
                self.skip_to_pipe()?;
                OperatorKind::Render
            }
            "serialize" => OperatorKind::Serialize(self.optional_assignments()?),
            "getschema" => OperatorKind::GetSchema,
            "invoke" => self.invoke()?,
            other if UNSUPPORTED.contains(&other) => {
                self.skip_to_pipe()?;
                OperatorKind::Unsupported(other.to_owned())
            }
            other => {
                return Err(KqlError::Syntax {
                    offset,
                    message: format!("'{other}' is not a tabular operator"),
                });
            }
        };
        Ok(Operator { kind, offset })
    }

    /// `a = expr, (b, c) = expr, expr`
    pub(super) fn assignments(&mut self) -> Result<Vec<Assignment>, KqlError> {
        let mut list = vec![self.assignment()?];
        while self.eat_punct(",") {
            list.push(self.assignment()?);
        }
        Ok(list)
    }

    fn optional_assignments(&mut self) -> Result<Vec<Assignment>, KqlError> {
        if self.at_end() || self.at_punct("|") || self.at_punct(")") || self.at_punct(";") {
            return Ok(Vec::new());
        }
        self.assignments()
    }

    fn assignment(&mut self) -> Result<Assignment, KqlError> {
        let names = self.assigned_names()?;
        Ok(Assignment {
            names,
            expr: self.expr()?,
        })
    }

    /// `name =` or `(a, b) =` if the text starts with one; nothing read otherwise.
    fn assigned_names(&mut self) -> Result<Vec<String>, KqlError> {
        let single = match self.kind_at(0) {
            TokenKind::Ident(_) => self.punct_at(1, "="),
            TokenKind::Punct("[") => self.punct_at(3, "=") && self.punct_at(2, "]"),
            _ => false,
        };
        if single {
            let name = self.name()?;
            self.expect_punct("=")?;
            return Ok(vec![name]);
        }
        if !self.at_punct("(") || !self.at_name_tuple() {
            return Ok(Vec::new());
        }
        self.advance();
        let mut names = vec![self.name()?];
        while self.eat_punct(",") {
            names.push(self.name()?);
        }
        self.expect_punct(")")?;
        self.expect_punct("=")?;
        Ok(names)
    }

    /// Whether `(a, b, ...) =` starts here.
    fn at_name_tuple(&self) -> bool {
        let mut ahead = 1;
        loop {
            if !matches!(self.kind_at(ahead), TokenKind::Ident(_)) {
                return false;
            }
            if self.punct_at(ahead + 1, ")") {
                return self.punct_at(ahead + 2, "=");
            }
            if !self.punct_at(ahead + 1, ",") {
                return false;
            }
            ahead += 2;
        }
    }

    /// `a, b*, *c` for `project-away`, `project-keep`, `project-reorder`.
    fn name_patterns(&mut self) -> Result<Vec<String>, KqlError> {
        let mut patterns = Vec::new();
        loop {
            patterns.push(self.joined_name(true)?);
            if self.at_word("asc") || self.at_word("desc") {
                self.advance();
            }
            if !self.eat_punct(",") {
                return Ok(patterns);
            }
        }
    }

    /// `new = old, ...`
    fn renames(&mut self) -> Result<Vec<(String, String)>, KqlError> {
        let mut renames = Vec::new();
        loop {
            let new = self.name()?;
            self.expect_punct("=")?;
            renames.push((new, self.name()?));
            if !self.eat_punct(",") {
                return Ok(renames);
            }
        }
    }

    fn summarize(&mut self) -> Result<OperatorKind, KqlError> {
        self.options(&[]);
        let aggregates = if self.at_word("by") {
            Vec::new()
        } else {
            self.optional_assignments()?
        };
        let by = if self.eat_word("by") {
            self.assignments()?
        } else {
            Vec::new()
        };
        Ok(OperatorKind::Summarize { aggregates, by })
    }

    fn distinct(&mut self) -> Result<OperatorKind, KqlError> {
        self.options(&[]);
        if self.eat_punct("*") {
            return Ok(OperatorKind::Distinct(Vec::new()));
        }
        let mut columns = vec![self.expr()?];
        while self.eat_punct(",") {
            columns.push(self.expr()?);
        }
        Ok(OperatorKind::Distinct(columns))
    }

    fn top(&mut self) -> Result<OperatorKind, KqlError> {
        let count = self.expr()?;
        self.expect_word("by")?;
        Ok(OperatorKind::Top {
            count,
            by: self.sort_keys()?,
        })
    }

    /// `expr [asc|desc] [nulls first|last], ...`
    pub(super) fn sort_keys(&mut self) -> Result<Vec<SortKey>, KqlError> {
        let mut keys = Vec::new();
        loop {
            let expr = self.expr()?;
            let ascending = if self.eat_word("asc") {
                true
            } else {
                self.eat_word("desc");
                false
            };
            let nulls_first = if self.eat_word("nulls") {
                if self.eat_word("first") {
                    Some(true)
                } else {
                    self.expect_word("last")?;
                    Some(false)
                }
            } else {
                None
            };
            keys.push(SortKey {
                expr,
                ascending,
                nulls_first,
            });
            if !self.eat_punct(",") {
                return Ok(keys);
            }
        }
    }

    fn join(&mut self) -> Result<OperatorKind, KqlError> {
        let options = self.options(&["kind"]);
        let kind = option(&options, "kind").unwrap_or_else(|| "innerunique".to_owned());
        let right = self.right_table()?;
        let on = self.join_keys()?;
        Ok(OperatorKind::Join {
            kind: kind.to_ascii_lowercase(),
            right,
            on,
        })
    }

    fn lookup(&mut self) -> Result<OperatorKind, KqlError> {
        let options = self.options(&["kind"]);
        let inner = option(&options, "kind").is_some_and(|kind| kind == "inner");
        let right = self.right_table()?;
        let on = self.join_keys()?;
        Ok(OperatorKind::Lookup { inner, right, on })
    }

    /// The right side of `join`/`lookup`: `(pipeline)` or a name (or call).
    fn right_table(&mut self) -> Result<Pipeline, KqlError> {
        if self.eat_punct("(") {
            let pipeline = self.pipeline()?;
            self.expect_punct(")")?;
            return Ok(pipeline);
        }
        let expr = self.expr()?;
        Ok(Pipeline {
            source: self.source_of(expr)?,
            operators: Vec::new(),
        })
    }

    /// `on A, $left.B == $right.C and ...`
    fn join_keys(&mut self) -> Result<Vec<JoinKey>, KqlError> {
        self.expect_word("on")?;
        let mut keys = Vec::new();
        loop {
            let offset = self.offset();
            let first = self.key_side()?;
            let key = if self.eat_punct("==") {
                let second = self.key_side()?;
                match (first, second) {
                    ((Some(false), right), (_, left)) | ((_, left), (_, right)) => JoinKey {
                        left,
                        right,
                        offset,
                    },
                }
            } else {
                JoinKey {
                    left: first.1.clone(),
                    right: first.1,
                    offset,
                }
            };
            keys.push(key);
            if !self.eat_punct(",") && !self.eat_word("and") {
                return Ok(keys);
            }
        }
    }

    /// `$left.A` (Some(true)), `$right.A` (Some(false)) or `A` (None), with the column name.
    fn key_side(&mut self) -> Result<(Option<bool>, String), KqlError> {
        let side = if self.at_word("$left") {
            Some(true)
        } else if self.at_word("$right") {
            Some(false)
        } else {
            None
        };
        if side.is_some() {
            self.advance();
            self.expect_punct(".")?;
        }
        Ok((side, self.name()?))
    }

    fn mv_expand(&mut self) -> Result<MvExpand, KqlError> {
        let options = self.options(&["bagexpansion", "with_itemindex", "kind"]);
        let mut items = vec![self.mv_item()?];
        while self.eat_punct(",") {
            items.push(self.mv_item()?);
        }
        let limit = if self.eat_word("limit") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(MvExpand {
            items,
            item_index: option(&options, "with_itemindex"),
            limit,
        })
    }

    /// `[name =] expr [to typeof(type)]`
    fn mv_item(&mut self) -> Result<MvItem, KqlError> {
        let name = self.assigned_names()?.into_iter().next();
        let expr = self.expr()?;
        let to = if self.eat_word("to") {
            self.expect_word("typeof")?;
            self.expect_punct("(")?;
            let kind = self.type_name()?;
            self.expect_punct(")")?;
            Some(kind)
        } else {
            None
        };
        Ok(MvItem { name, expr, to })
    }

    fn mv_apply(&mut self) -> Result<OperatorKind, KqlError> {
        let expand = self.mv_expand()?;
        self.expect_word("on")?;
        self.expect_punct("(")?;
        let subquery = self.nested(|p| {
            let first = p.operator()?;
            let mut pipeline = p.operators_after(Source::Input)?;
            pipeline.operators.insert(0, first);
            Ok(pipeline)
        })?;
        self.expect_punct(")")?;
        Ok(OperatorKind::MvApply { expand, subquery })
    }

    /// `parse [kind=...] [flags=...] expr with pattern`
    fn parse_operator(&mut self, filter: bool) -> Result<Parse, KqlError> {
        let options = self.options(&["kind", "flags"]);
        let regex = option(&options, "kind").is_some_and(|kind| kind == "regex");
        let expr = self.expr()?;
        self.expect_word("with")?;
        let mut pattern = Vec::new();
        while !self.at_end() && !self.at_punct("|") && !self.at_punct(")") && !self.at_punct(";") {
            let part = match self.kind_at(0).clone() {
                TokenKind::Str(_) => ParsePart::Literal(self.adjacent_strings()),
                TokenKind::Punct("*") => {
                    self.advance();
                    ParsePart::Wildcard
                }
                _ => {
                    let name = self.name()?;
                    let kind = if self.eat_punct(":") {
                        self.type_name()?
                    } else {
                        KqlType::String
                    };
                    ParsePart::Column { name, kind }
                }
            };
            pattern.push(part);
            self.eat_punct(",");
        }
        Ok(Parse {
            filter,
            regex,
            expr,
            pattern,
        })
    }

    fn make_series(&mut self) -> Result<MakeSeries, KqlError> {
        self.options(&["kind"]);
        let mut aggregates = Vec::new();
        loop {
            let aggregate = self.assignment()?;
            let default = if self.eat_word("default") {
                self.expect_punct("=")?;
                Some(self.expr()?)
            } else {
                None
            };
            aggregates.push((aggregate, default));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_word("on")?;
        let on = self.additive()?;
        let (mut from, mut to, step);
        if self.eat_word("in") {
            self.expect_word("range")?;
            self.expect_punct("(")?;
            from = Some(self.expr()?);
            self.expect_punct(",")?;
            to = Some(self.expr()?);
            self.expect_punct(",")?;
            step = self.expr()?;
            self.expect_punct(")")?;
        } else {
            from = None;
            to = None;
            if self.eat_word("from") {
                from = Some(self.expr()?);
            }
            if self.eat_word("to") {
                to = Some(self.expr()?);
            }
            self.expect_word("step")?;
            step = self.expr()?;
        }
        let by = if self.eat_word("by") {
            self.assignments()?
        } else {
            Vec::new()
        };
        Ok(MakeSeries {
            aggregates,
            on,
            from,
            to,
            step,
            by,
        })
    }

    fn top_nested(&mut self) -> Result<OperatorKind, KqlError> {
        let mut levels = Vec::new();
        loop {
            let count = if self.at_word("of") {
                None
            } else {
                Some(self.expr()?)
            };
            self.expect_word("of")?;
            let of = self.assignment()?;
            if self.eat_word("with") {
                self.expect_word("others")?;
                self.expect_punct("=")?;
                self.expr()?;
            }
            self.expect_word("by")?;
            let by = self.assignment()?;
            let ascending = self.eat_word("asc");
            if !ascending {
                self.eat_word("desc");
            }
            levels.push(TopNestedLevel {
                count,
                of,
                by,
                ascending,
            });
            if !self.eat_punct(",") {
                return Ok(OperatorKind::TopNested(levels));
            }
            if self.at_word("top") && self.punct_at(1, "-") && self.word_at(2, "nested") {
                self.pos += 3;
            }
        }
    }

    fn invoke(&mut self) -> Result<OperatorKind, KqlError> {
        let call = self.expr()?;
        match call.kind {
            ExprKind::Call { name, args } => Ok(OperatorKind::Invoke { name, args }),
            _ => Err(KqlError::Syntax {
                offset: call.offset,
                message: "invoke takes a function call".to_owned(),
            }),
        }
    }
}

/// The value of option `name`, if given.
fn option(options: &[(String, String)], name: &str) -> Option<String> {
    options
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}
