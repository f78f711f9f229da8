//! Workers Static Assets: a folder of files served by Cloudflare in front of (or behind) the
//! worker, configured by `[package.metadata.edge.assets]`.
//!
//! One implementation serves every face: [`config`] is the resolved setting (part of
//! `model::Worker`); [`collect`] walks the folder (honouring `.assetsignore`) into the manifest
//! Cloudflare's direct upload takes, hashed as wrangler hashes ([`hash`]); [`routing`] is
//! Cloudflare's asset-worker algorithm (`html_handling`, `not_found_handling`, redirects) and
//! [`rules`] its router (`run_worker_first`). `dev::assets` serves files with them and
//! `deploy::assets` uploads them.

pub mod collect;
pub mod config;
pub mod hash;
pub mod routing;
pub mod rules;

pub use collect::{AssetFile, AssetManifest, CollectError};
pub use config::{Assets, HtmlHandling, NotFoundHandling, RunWorkerFirst};
