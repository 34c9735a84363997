"""The ADQL 2.1 grammar (lark, LALR(1)), written from the BNF of ADQL 2.1 Appendix A.

The BNF distinguishes numeric, string and geometry value expressions; that split is
ambiguous for an LALR parser, so this grammar has one ``expression`` hierarchy and leaves
the type distinctions to :mod:`tap.adql.annotate`.  Likewise every function (the math,
trigonometric, geometric, string, conversion and user-defined ones) is one
``function_call`` rule; the function table checks names and arities.

Beyond ADQL 2.1 (all commonly expected by users and harmless): ``CASE``, ``NULLIF``,
``ESCAPE`` for ``LIKE``/``ILIKE``, ``CROSS JOIN``, ``%`` as modulo (used by the standard's
own examples), hexadecimal literals and the bitwise operators ``& | ^ ~`` of
PR-ADQL-2.1-20180112, and one optional trailing semicolon.
"""

from __future__ import annotations

#: Keywords that have a syntactic role.  Every other reserved word of ADQL 2.1 §2.1.2/2.1.3
#: is lexed as an identifier and refused by the parser where a name is required.
GRAMMAR_KEYWORDS: tuple[str, ...] = (
    "ALL",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CROSS",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "NATURAL",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "RIGHT",
    "SELECT",
    "THEN",
    "TOP",
    "UNION",
    "USING",
    "WHEN",
    "WHERE",
    "WITH",
)

_RULES = r"""
start: query [SEMICOLON]

query: [with_clause] select_expression
with_clause: WITH with_query ("," with_query)*
with_query: identifier AS "(" select_expression ")"

select_expression: set_expression [order_by] [offset_clause]

?set_expression: set_term
    | set_expression UNION [ALL] set_term        -> set_union
    | set_expression EXCEPT [ALL] set_term       -> set_except
?set_term: set_primary
    | set_term INTERSECT [ALL] set_primary       -> set_intersect
?set_primary: select_query
    | "(" inner_select_expression ")"            -> parenthesised_query

// A query in parentheses inside an expression, a FROM clause or a set operation must
// start with SELECT: this keeps "((SELECT ...))" from being ambiguous for LALR(1).
inner_select_expression: leading_set_expression [order_by] [offset_clause] -> select_expression
?leading_set_expression: leading_set_term
    | leading_set_expression UNION [ALL] set_term -> set_union
    | leading_set_expression EXCEPT [ALL] set_term -> set_except
?leading_set_term: select_query
    | leading_set_term INTERSECT [ALL] set_primary -> set_intersect

select_query: SELECT [set_quantifier] [top_clause] select_list from_clause _select_conditions
_select_conditions: [where_clause] [group_by_clause] [having_clause]
set_quantifier: DISTINCT | ALL
top_clause: TOP NUMBER
select_list: STAR                                -> select_all
    | select_item ("," select_item)*
select_item: expression [[AS] identifier]        -> derived_column
    | dotted_name "." STAR                       -> qualified_star

from_clause: FROM table_reference ("," table_reference)*
?table_reference: table_primary
    | joined_table
joined_table: table_reference [NATURAL] [join_type] JOIN table_primary [join_specification]
    | table_reference CROSS JOIN table_primary   -> cross_join
join_type: INNER
    | LEFT [OUTER]
    | RIGHT [OUTER]
    | FULL [OUTER]
join_specification: ON search_condition          -> join_on
    | USING "(" identifier ("," identifier)* ")" -> join_using
table_primary: dotted_name [[AS] identifier]     -> table_ref
    | "(" inner_select_expression ")" [[AS] identifier] -> derived_table
    | "(" joined_table ")"                       -> parenthesised_join

where_clause: WHERE search_condition
group_by_clause: GROUP BY expression ("," expression)*
having_clause: HAVING search_condition
order_by: ORDER BY order_item ("," order_item)*
order_item: expression [ASC | DESC]
offset_clause: OFFSET NUMBER

?search_condition: boolean_term
    | search_condition OR boolean_term           -> or_condition
?boolean_term: boolean_factor
    | boolean_term AND boolean_factor            -> and_condition
?boolean_factor: boolean_primary
    | NOT boolean_factor                         -> not_condition
?boolean_primary: predicate
    | "(" search_condition ")"

?predicate: expression COMP_OP expression        -> comparison
    | expression [NOT] BETWEEN expression AND expression -> between
    | expression [NOT] IN "(" expression ("," expression)* ")" -> in_list
    | expression [NOT] IN "(" inner_select_expression ")" -> in_subquery
    | expression [NOT] LIKE expression [ESCAPE expression] -> like
    | expression [NOT] ILIKE expression [ESCAPE expression] -> ilike
    | expression IS [NOT] NULL                   -> null_test
    | EXISTS "(" inner_select_expression ")"     -> exists

?expression: bit_or
?bit_or: bit_xor
    | bit_or VBAR bit_xor                        -> binary
?bit_xor: bit_and
    | bit_xor CIRCUMFLEX bit_and                 -> binary
?bit_and: concatenation
    | bit_and AMPERSAND concatenation            -> binary
?concatenation: additive
    | concatenation CONCAT additive              -> binary
?additive: term
    | additive (PLUS | MINUS) term               -> binary
?term: factor
    | term (STAR | SOLIDUS | PERCENT) factor     -> binary
?factor: primary
    | (PLUS | MINUS | TILDE) factor              -> unary

?primary: NUMBER                                 -> number
    | HEX_NUMBER                                 -> hex_number
    | STRING                                     -> string
    | NULL                                       -> null
    | dotted_name                                -> column_ref
    | function_call
    | CAST "(" expression AS cast_type ")"       -> cast
    | CASE expression when_value+ [ELSE expression] END -> simple_case
    | CASE when_condition+ [ELSE expression] END  -> searched_case
    | "(" expression ")"
    | "(" inner_select_expression ")"            -> scalar_subquery

function_call: REGULAR_IDENTIFIER "(" [call_arguments] ")"
call_arguments: STAR                             -> star_argument
    | [set_quantifier] expression ("," expression)* -> value_arguments
cast_type: REGULAR_IDENTIFIER [REGULAR_IDENTIFIER] ["(" NUMBER ")"]
when_value: WHEN expression THEN expression
when_condition: WHEN search_condition THEN expression

?dotted_name: identifier -> single_name
    | dotted_name "." identifier               -> qualified_name
identifier: REGULAR_IDENTIFIER | DELIMITED_IDENTIFIER

COMP_OP: "=" | "<>" | "!=" | "<=" | ">=" | "<" | ">"
CONCAT: "||"
VBAR: "|"
CIRCUMFLEX: "^"
AMPERSAND: "&"
PLUS: "+"
MINUS: "-"
STAR: "*"
SOLIDUS: "/"
PERCENT: "%"
TILDE: "~"
SEMICOLON: ";"

HEX_NUMBER.2: /0x[0-9a-f]+/i
NUMBER: /(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?/i
STRING: /'(?:[^']|'')*'/
DELIMITED_IDENTIFIER: /"(?:[^"]|"")+"/
REGULAR_IDENTIFIER: /[a-z][a-z0-9_]*/i

COMMENT: /--[^\n]*/
WHITESPACE: /[ \t\r\n\f]+/
%ignore COMMENT
%ignore WHITESPACE
"""


def grammar_text() -> str:
    """The complete lark grammar: the rules plus one case-insensitive terminal per keyword."""
    keywords = "\n".join(f'{word}: "{word.lower()}"i' for word in GRAMMAR_KEYWORDS)
    return _RULES + "\n" + keywords + "\n"


__all__ = ["GRAMMAR_KEYWORDS", "grammar_text"]
