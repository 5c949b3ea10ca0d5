//! Certifying an image layout or archive written by any tool (to be written).
