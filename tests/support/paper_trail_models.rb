# frozen_string_literal: true

# The models of the PaperTrail story (tests/support/paper_trail_story.rb) and of its reader
# (paper_trail_reading.rb), on Debian's PaperTrail 12.0.0 / ActiveRecord 6.1 without Rails. What railties
# would set at boot is set here (time-zone-aware attributes, UTC unless CHRONO_AR_LOCAL_TIME). CHRONO_AR_CONFIG holds the connection as
# JSON (adapter, database, host, port, username).
require "json"
require "yaml"
require "bigdecimal"
require "active_record"
require "active_support/all"
require "paper_trail"
require "paper_trail/frameworks/active_record"

# CHRONO_AR_LOCAL_TIME=1: an application with `config.active_record.default_timezone = :local` (naive columns hold
# the wall clock of the process's TZ) instead of Rails' default :utc.
ActiveRecord::Base.default_timezone = ENV["CHRONO_AR_LOCAL_TIME"] ? :local : :utc
ActiveRecord::Base.time_zone_aware_attributes = true
Time.zone_default = Time.find_zone!("UTC")
ActiveRecord::Base.logger = nil
ActiveRecord::Base.establish_connection(JSON.parse(ENV.fetch("CHRONO_AR_CONFIG")))

# PaperTrail 12.0.0's YAML serializer loads with Psych 4's safe `YAML.load`, which refuses its own BigDecimal and
# TimeWithZone values (conventions.md 7D); 12.1.0 loads with `unsafe_load` (PR #1338). Writing is the same
# `YAML.dump` either way: this is 12.1.0's serializer, so `reify` and `changeset` can read the story back.
module PsychSafeYAML
  extend PaperTrail::Serializers::YAML

  def self.load(string)
    ::YAML.unsafe_load(string)
  end
end
PaperTrail.serializer = PsychSafeYAML
MYSQL = ActiveRecord::Base.connection.adapter_name.downcase.include?("mysql")
# On MariaDB the story's app uses PaperTrail's JSON serializer (JSON text in text columns): the third form a
# versions table comes in. MariaDB's JSON is LONGTEXT to ActiveRecord, so the models declare their json attributes.
PaperTrail.serializer = PaperTrail::Serializers::JSON if MYSQL

# A second version class whose object/object_changes are JSON columns (jsonb on PostgreSQL).
class JsonVersion < ActiveRecord::Base
  include PaperTrail::VersionConcern
  self.table_name = "json_versions"
end

class AppUser < ActiveRecord::Base
  has_paper_trail ignore: [:login_count], skip: [:secret]
  attribute :settings, :json if MYSQL
  has_many :posts
end

class Post < ActiveRecord::Base
  belongs_to :app_user, optional: true
  has_paper_trail
end

# Single-table inheritance: versions name the base class (item_type StockItem), table stock_items.
class StockItem < ActiveRecord::Base
  has_paper_trail versions: { class_name: "JsonVersion" }
  attribute :data, :json if MYSQL
end

class Gadget < StockItem
end

# Saves as `who` (PaperTrail's whodunnit) in the story and the batch after it.
def as(who)
  PaperTrail.request.whodunnit = who
  yield
ensure
  PaperTrail.request.whodunnit = nil
end

MODELS = { "app_users" => AppUser, "posts" => Post, "stock_items" => StockItem }.freeze
SKIPPED = { "app_users" => %w[secret] }.freeze
