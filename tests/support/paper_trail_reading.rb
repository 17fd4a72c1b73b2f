# frozen_string_literal: true

# PaperTrail's own reading of the story database, as JSON in the shape tests/conformance/readers.py describes.
# A version is the state the event produced: the next version's `reify` (a touch stores the state after it, so
# before a touch the version's own `changeset` completes it), the live record after the newest one, nothing after
# a destroy. Arguments: [--save TABLE KEY] makes one ordinary save of that record and reads once more.
require_relative "paper_trail_models"

def plain(value)
  case value
  when BigDecimal then value.to_s("F").sub(/\.0\z/, "")
  when ActiveSupport::TimeWithZone, Time then value.utc.iso8601(6)
  when Date then value.iso8601
  else value
  end
end

def values(record, table)
  return nil if record.nil?

  record.attributes.except(*SKIPPED.fetch(table, [])).transform_values { |v| plain(v) }
end

def live(table, id)
  record = MODELS[table].find_by(id: id)
  record&.attributes&.transform_values { |v| plain(v) }
end

OPS = { "create" => "insert", "destroy" => "delete" }.freeze

def timeline(table, versions)
  versions.each_with_index.map do |v, i|
    nxt = versions[i + 1]
    state =
      if v.event == "destroy" then nil
      elsif nxt.nil? then values(MODELS[table].find_by(id: v.item_id), table)
      else
        after = values(nxt.reify(unversioned_attributes: :preserve), table)
        if nxt.event == "update" && nxt.object_changes.nil? # a touch: its object is the state after it
          v.changeset.each { |k, (_, new)| after[k] = plain(new) unless SKIPPED.fetch(table, []).include?(k) }
        end
        after
      end
    { "version" => v.id, "op" => OPS.fetch(v.event, "update"), "values" => state,
      "at" => v.created_at.utc.iso8601(6), "actor" => v.whodunnit }
  end
end

def read_all
  timelines = {}
  lives = {}
  MODELS.each do |table, model|
    klass = model.paper_trail.version_class
    rows = klass.where(item_type: model.base_class.name).order(:created_at, :id).to_a
    by_id = rows.group_by(&:item_id)
    timelines[table] = by_id.to_h { |id, vs| [id.to_s, timeline(table, vs)] }
    lives[table] = by_id.keys.to_h { |id| [id.to_s, live(table, id)] }
  end
  [timelines, lives]
end

timelines, lives = read_all
reading = { "timelines" => timelines, "live" => lives, "saved" => nil, "after" => nil }
if ARGV[0] == "--save"
  table, key = ARGV[1], ARGV[2]
  record = MODELS[table].find(key.to_i)
  column = record.respond_to?(:title) ? "title" : "name"
  record.update!(column => "#{record[column]} (saved)")
  reading["saved"] = { column => record[column] }
  reading["after"] = read_all[0]
end
puts JSON.generate(reading)
