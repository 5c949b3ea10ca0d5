//! Machinery behind every document type: the `model!` and `open_enum!` macros.
//!
//! Each model is a plain struct with public fields plus an [`Extra`](crate::Extra) map that keeps
//! every member this version of carrack does not know. The (de)serialisers are generated here
//! rather than derived so that:
//!
//! * unknown members are kept without the cost of `#[serde(flatten)]` (which buffers the whole
//!   object before looking at it);
//! * an explicit `null` in an optional member is kept and written back, so a round trip gives the
//!   same JSON value;
//! * a duplicated member is an error rather than "last one wins", a known parser differential;
//! * [`crate::strict`] parsing can reject unknown members, which the tests use to prove that every
//!   key of the official schemas is modelled.

mod open_enum;
mod support;

pub(crate) use open_enum::open_enum;
pub(crate) use support::{
    OptSlot, Slot, keep_null, names_as_str, read_unknown, unknown_name, with_names_as_str,
    with_strict, write_extra,
};

macro_rules! model_ty {
    (req $ty:ty) => { $ty };
    (opt $ty:ty) => { Option<$ty> };
}

// `serialize_entry` rather than key then value: the split is inlined into every member, and the
// larger models' writes measured 5% slower with it.
macro_rules! model_ser {
    (req $m:ident, $key:literal, $v:expr) => {
        $m.serialize_entry($key, $v)?;
    };
    (opt $m:ident, $key:literal, $v:expr) => {
        if let Some(v) = $v {
            $m.serialize_entry($key, v)?;
        }
    };
}

macro_rules! model_is_set {
    (req $v:expr) => {
        true
    };
    (opt $v:expr) => {
        $v.is_some()
    };
}

macro_rules! model_read {
    (req $map:ident, $field:ident, $ty:ty, $key:literal, $extra:ident, $A:ident) => {
        $map.next_value_seed($crate::model::Slot::<$ty>(&mut $field))?
    };
    (opt $map:ident, $field:ident, $ty:ty, $key:literal, $extra:ident, $A:ident) => {
        if !$map.next_value_seed($crate::model::OptSlot::<$ty>(&mut $field))? {
            $crate::model::keep_null(&mut $extra, $key);
        }
    };
}

macro_rules! model_finish {
    (req $v:ident, $key:literal, $A:ident) => {
        match $v {
            Some(v) => v,
            None => return Err(<$A::Error as ::serde::de::Error>::missing_field($key)),
        }
    };
    (opt $v:ident, $key:literal, $A:ident) => {
        $v
    };
}

/// `Some(v)` for an optional member, `v` for a required one.
macro_rules! model_wrap {
    (req $v:expr) => {
        $v
    };
    (opt $v:expr) => {
        Some($v)
    };
}

/// `impl Default` (every member absent) when every member of a model is optional; nothing when
/// one is required, as such a model has a `new` taking the required members instead.
macro_rules! model_default {
    ($name:ident [$($field:ident)*]) => {
        impl Default for $name {
            /// Every member absent.
            fn default() -> Self {
                Self {
                    $( $field: None, )*
                    extra: $crate::Extra::new(),
                }
            }
        }
    };
    ($name:ident [$($field:ident)*] opt $($rest:ident)*) => {
        $crate::model::model_default!($name [$($field)*] $($rest)*);
    };
    ($name:ident [$($field:ident)*] req $($rest:ident)*) => {};
}

/// One chainable `with_<field>` setter. What it takes depends on the member's type, so that
/// calls read naturally: integers and booleans by value (an `impl Into<u32>` would not accept a
/// bare literal), strings and nested models as `impl Into<T>`, lists as any iterator of items
/// convertible into the element type, string-keyed maps as any iterator of pairs.
macro_rules! model_setter {
    // `final` is a keyword, so the field is `final_`; its setter need not show that.
    ($kind:ident final_ $key:literal [String]) => {
        #[doc = concat!("Sets `", $key, "` ([`Self::final_`]).")]
        #[must_use]
        pub fn with_final(mut self, value: impl Into<String>) -> Self {
            self.final_ = $crate::model::model_wrap!($kind value.into());
            self
        }
    };
    ($kind:ident $field:ident $key:literal [bool]) => { $crate::model::model_setter!(@value $kind $field $key bool); };
    ($kind:ident $field:ident $key:literal [u8]) => { $crate::model::model_setter!(@value $kind $field $key u8); };
    ($kind:ident $field:ident $key:literal [u16]) => { $crate::model::model_setter!(@value $kind $field $key u16); };
    ($kind:ident $field:ident $key:literal [u32]) => { $crate::model::model_setter!(@value $kind $field $key u32); };
    ($kind:ident $field:ident $key:literal [u64]) => { $crate::model::model_setter!(@value $kind $field $key u64); };
    ($kind:ident $field:ident $key:literal [i32]) => { $crate::model::model_setter!(@value $kind $field $key i32); };
    ($kind:ident $field:ident $key:literal [i64]) => { $crate::model::model_setter!(@value $kind $field $key i64); };
    ($kind:ident $field:ident $key:literal [Vec<u32>]) => {
        ::pastey::paste! {
            #[doc = concat!("Sets `", $key, "` ([`Self::", stringify!($field), "`]) to these ids.")]
            #[must_use]
            pub fn [<with_ $field>](mut self, value: impl IntoIterator<Item = u32>) -> Self {
                self.$field = $crate::model::model_wrap!($kind value.into_iter().collect());
                self
            }
        }
    };
    ($kind:ident $field:ident $key:literal [Vec<$item:ty>]) => {
        ::pastey::paste! {
            #[doc = concat!("Sets `", $key, "` ([`Self::", stringify!($field), "`]) to these items, in order.")]
            #[must_use]
            pub fn [<with_ $field>](mut self, value: impl IntoIterator<Item = impl Into<$item>>) -> Self {
                self.$field = $crate::model::model_wrap!($kind value.into_iter().map(Into::into).collect());
                self
            }
        }
    };
    ($kind:ident $field:ident $key:literal [BTreeMap<String, $v:ty>]) => {
        ::pastey::paste! {
            #[doc = concat!("Sets `", $key, "` ([`Self::", stringify!($field), "`]) to these entries.")]
            #[must_use]
            pub fn [<with_ $field>]<K: Into<String>, V: Into<$v>>(
                mut self,
                value: impl IntoIterator<Item = (K, V)>,
            ) -> Self {
                self.$field = $crate::model::model_wrap!(
                    $kind value.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
                );
                self
            }
        }
    };
    ($kind:ident $field:ident $key:literal [$($ty:tt)+]) => {
        ::pastey::paste! {
            #[doc = concat!("Sets `", $key, "` ([`Self::", stringify!($field), "`]).")]
            #[must_use]
            pub fn [<with_ $field>](mut self, value: impl Into<$($ty)+>) -> Self {
                self.$field = $crate::model::model_wrap!($kind value.into());
                self
            }
        }
    };
    (@value $kind:ident $field:ident $key:literal $ty:ty) => {
        ::pastey::paste! {
            #[doc = concat!("Sets `", $key, "` ([`Self::", stringify!($field), "`]).")]
            #[must_use]
            pub fn [<with_ $field>](mut self, value: $ty) -> Self {
                self.$field = $crate::model::model_wrap!($kind value);
                self
            }
        }
    };
}

/// Defines a document struct with generated lossless (de)serialisers.
///
/// Each field is written `name: req(Type) = "jsonKey"` (required member) or
/// `name: opt(Type) = "jsonKey"` (optional member, stored as `Option<Type>`).
///
/// Besides the (de)serialisers it generates a chainable `with_<name>` setter per field (see
/// `model_setter!`) and, when every field is optional, `Default` with every member absent.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $kind:ident ( $($ty:tt)+ ) = $key:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $crate::model::model_ty!($kind $($ty)+), )*
            /// Members this version of carrack does not model (and explicit `null`s of optional
            /// members), kept verbatim so that a round trip loses nothing.
            pub extra: $crate::Extra,
        }

        impl $name {
            /// The JSON member names this type models, in the order they are written.
            pub const FIELDS: &'static [&'static str] = &[$($key),*];

            $( $crate::model::model_setter!($kind $field $key [$($ty)+]); )*
        }

        $crate::model::model_default!($name [$($field)*] $($kind)*);

        impl ::serde::Serialize for $name {
            #[inline]
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( $crate::model::model_ser!($kind m, $key, &self.$field); )*
                if let Some(extra) = self.extra.as_map() {
                    $crate::model::write_extra(&mut m, extra, |k| match k {
                        $( $key => $crate::model::model_is_set!($kind self.$field), )*
                        _ => false,
                    })?;
                }
                m.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            #[inline]
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }
                    #[allow(unused_mut)]
                    #[inline]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        // One identifier type per model, as serde's derive does, so that key
                        // parsing and matching inline into this visitor. It is a plain tag (a
                        // byte, returned in a register): an unknown member's name goes to
                        // `unknown` instead of riding in the enum.
                        #[allow(non_camel_case_types)]
                        #[derive(Clone, Copy)]
                        enum Field {
                            $( $field, )*
                            __Unknown,
                        }
                        struct FieldSeed<'a>(&'a mut ::std::string::String, bool);
                        impl<'de> ::serde::de::DeserializeSeed<'de> for FieldSeed<'_> {
                            type Value = Field;
                            // As bytes: serde_json then skips validating the name's UTF-8,
                            // which only an unknown member needs (see `visit_bytes`). As a
                            // string while a failed parse is repeated to find where.
                            #[inline]
                            fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
                                if self.1 {
                                    d.deserialize_identifier(self)
                                } else {
                                    d.deserialize_bytes(self)
                                }
                            }
                        }
                        impl<'de> ::serde::de::Visitor<'de> for FieldSeed<'_> {
                            type Value = Field;
                            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                                f.write_str("a member name")
                            }
                            #[inline]
                            fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Field, E> {
                                Ok(match v {
                                    $( $key => Field::$field, )*
                                    _ => {
                                        v.clone_into(self.0);
                                        Field::__Unknown
                                    }
                                })
                            }
                            #[inline]
                            fn visit_bytes<E: ::serde::de::Error>(self, v: &[u8]) -> Result<Field, E> {
                                $( if v == $key.as_bytes() {
                                    return Ok(Field::$field);
                                } )*
                                $crate::model::unknown_name(v, self.0)?;
                                Ok(Field::__Unknown)
                            }
                        }

                        $( let mut $field: Option<$($ty)+> = None; )*
                        let mut extra = $crate::Extra::new();
                        let mut unknown = ::std::string::String::new();
                        let by_name = $crate::model::names_as_str();
                        while let Some(field) = map.next_key_seed(FieldSeed(&mut unknown, by_name))? {
                            match field {
                                $( Field::$field => {
                                    if $field.is_some() || extra.has($key) {
                                        return Err(<A::Error as ::serde::de::Error>::duplicate_field($key));
                                    }
                                    $crate::model::model_read!($kind map, $field, $($ty)+, $key, extra, A);
                                } )*
                                Field::__Unknown => {
                                    let key = ::std::mem::take(&mut unknown);
                                    $crate::model::read_unknown(&mut map, &mut extra, key, $name::FIELDS)?;
                                }
                            }
                        }
                        Ok($name {
                            $( $field: $crate::model::model_finish!($kind $field, $key, A), )*
                            extra,
                        })
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

pub(crate) use {
    model, model_default, model_finish, model_is_set, model_read, model_ser, model_setter,
    model_ty, model_wrap,
};
