# frozen_string_literal: true

# The PaperTrail story: the install migration as PaperTrail 12.0.0's generator renders it on Ruby 3 (the
# `{:null=>false}` column, a nullable item_type), then saves, updates, a touch, a custom event, a destroy and a
# re-create of the same id, several records in one transaction, written by PaperTrail itself. Prints the story's
# record as JSON. Run by tests/support/paper_trail.py.
require_relative "paper_trail_models"

TEXT_BYTES = 1_073_741_823
conn = ActiveRecord::Base.connection
pg = conn.adapter_name.downcase.include?("postg")
mysql = conn.adapter_name.downcase.include?("mysql")
# the generator's versions_table_options on MySQL; a Rails app's other tables are utf8mb4 as well
json_type = pg ? :jsonb : mysql ? :text : :json # MariaDB's JSON is LONGTEXT to ActiveRecord: PaperTrail serializes
TABLE = mysql ? { options: "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci" } : {}
ActiveRecord::Migration.verbose = false
ActiveRecord::Schema.define do
  create_table :versions, **TABLE do |t|
    # the 12.0.0 template on Ruby 3: a column named "{:null=>false}" ("{:null=>false, :limit=>191}" on MySQL)
    t.string :item_type, mysql ? { null: false, limit: 191 } : { null: false }
    t.bigint :item_id, null: false
    t.string :event, null: false
    t.string :whodunnit
    t.text :object, limit: TEXT_BYTES
    t.datetime :created_at
  end
  add_index :versions, %i[item_type item_id]
  add_column :versions, :object_changes, :text, limit: TEXT_BYTES
  add_column :versions, :ip, :string # a metadata column (meta: / controller_info)

  create_table :json_versions, **TABLE do |t|
    t.string :item_type, null: false
    t.string :item_subtype
    t.bigint :item_id, null: false
    t.string :event, null: false
    t.string :whodunnit
    t.send(json_type, :object)
    t.send(json_type, :object_changes)
    t.datetime :created_at
  end
  add_index :json_versions, %i[item_type item_id]

  create_table :app_users, **TABLE do |t|
    t.string :name, null: false
    t.string :email
    t.text :bio
    t.decimal :balance, precision: 10, scale: 2
    t.json :settings
    t.integer :login_count, default: 0, null: false
    t.string :secret
    t.date :born_on
    # on MariaDB (the JSON serializer) to the millisecond: JSON keeps no more, so every state reads back whole
    t.datetime :last_seen_at, **(mysql ? { precision: 3 } : {})
    t.timestamps(**(mysql ? { precision: 3 } : {}))
  end
  create_table :posts, **TABLE do |t|
    t.references :app_user, foreign_key: true
    t.string :title
    t.timestamps
  end
  create_table :stock_items, **TABLE do |t|
    t.string :type
    t.string :name
    t.decimal :price, precision: 8, scale: 3
    t.json :data
    t.timestamps
  end
end
AppUser.reset_column_information
PaperTrail::Version.reset_column_information

PaperTrail::Version.class_eval { attr_accessor :dummy }
ann = as("alice") do
  AppUser.create!(name: "Ann", email: "ann@example.com", bio: "naïve café 🚀 rocket", balance: BigDecimal("12.30"),
                  settings: { "theme" => "dark", "n" => 1 }, secret: "s1", born_on: Date.new(1990, 5, 6),
                  last_seen_at: Time.iso8601("2024-03-01T10:00:00.123456+05:30"))
end
as("bob") { ann.update!(name: "Ann B", balance: BigDecimal("-4.75"), login_count: 3) }
ann.update!(login_count: 4) # ignored: no version
as("carol") do
  AppUser.transaction do # several records in one transaction: one version each
    ann.update!(email: "ann@b.example", secret: "s2")
    Post.create!(app_user: ann, title: "Hello 👋")
    AppUser.create!(name: "Bea", email: "bea@example.com", balance: BigDecimal("0.00"))
  end
end
as("5") { ann.update!(bio: nil, settings: { "theme" => "light", "tags" => ["a", "ü"], "nested" => { "x" => nil } }) }
ann.touch
post = Post.first
post.paper_trail_event = "publish"
as("dave") { post.update!(title: "Hello again") }
gone = as("dave") { Post.create!(app_user: ann, title: "Bye") }
as("dave") { gone.destroy! } # stays destroyed: chrono's undelete re-creates it
bea = AppUser.find_by!(name: "Bea")
as("erin") { bea.destroy! }
as("frank") { AppUser.create!(id: bea.id, name: "Bea again", balance: BigDecimal("7")) }
gadget = as("gina") { Gadget.create!(name: "Widget", price: BigDecimal("1.250"), data: { "k" => [1, 2], "s" => "x" }) }
as("gina") { gadget.update!(price: BigDecimal("0"), data: { "k" => [] }) }
as("alice") { post.update!(title: "Hello, again") } # alice's second turn, seconds after her first: two change sets

puts JSON.generate({ "users" => [ann.id, bea.id], "post" => post.id, "gone" => gone.id, "gadget" => gadget.id, "pg" => pg })
