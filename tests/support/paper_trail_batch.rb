# frozen_string_literal: true

# A batch after the PaperTrail story (paper_trail_story.rb), written by PaperTrail itself for the revert tests: one
# actor (hank) in quick succession updates a user twice, creates a user and updates it, rewords a post, creates a
# post and destroys it, destroys a user, creates an STI record (Gadget under StockItem) and renames another; then
# ivan changes the user hank created (a later change a revert must report); then judy changes the settings (a JSON
# column) of one user and the bio of another, so the two disagree on whether the JSON changes. A second apart from the story and from
# ivan: on MariaDB ActiveRecord stamps versions to the second, and a set's inferred id must name it alone. Prints the
# new ids as JSON.
require_relative "paper_trail_models"

ann, bea = AppUser.order(:id).first(2)
sleep 1.1
cy = as("hank") do
  ann.update!(name: "Ann H", balance: BigDecimal("99.99"), settings: { "theme" => "blue" })
  ann.update!(email: "ann@h.example")
  cy = AppUser.create!(name: "Cy", email: "cy@example.com", balance: BigDecimal("1.5"), settings: { "theme" => "dark" })
  cy.update!(bio: "hi 👋")
  Post.order(:id).first.update!(title: "Hello from hank")
  Post.create!(app_user: ann, title: "brief").destroy!
  bea.destroy!
  Gadget.create!(name: "Gizmo", price: BigDecimal("2.5"), data: { "k" => [3] })
  StockItem.order(:id).first.update!(name: "Widget 2")
  cy
end
sleep 1.1
as("ivan") { cy.update!(name: "Cy 2") }
sleep 1.1
as("judy") do
  ann.update!(settings: { "theme" => "green" })
  cy.update!(bio: "bye")
end

puts JSON.generate({ "cy" => cy.id, "bea" => bea.id })
